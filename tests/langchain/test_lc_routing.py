"""ChatLocalLLM and LocalLLMEmbeddings over several servers: routing, the shared cap and
session_id reach the core (fake Ollama servers that count what arrives)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from langchain_localllm import ChatLocalLLM, LocalLLMEmbeddings
from tests.support.fake_ollama import FakeOllama


def test_batch_is_capped_and_spread_and_session_id_is_sent() -> None:
    with FakeOllama(delay=0.02) as a, FakeOllama(delay=0.02) as b:
        llm = ChatLocalLLM(model="llama3.2:1b", base_url=[a.url, b.url], backend="ollama",
                           routing="least_busy", max_concurrency=2)
        other = ChatLocalLLM(model="llama3.2:1b", base_url=a.url, backend="ollama")
        answers = llm.batch([f"q{i}" for i in range(12)], config={"max_concurrency": 12})
        with ThreadPoolExecutor(4) as pool:  # a second model object shares a's cap
            list(pool.map(lambda i: other.invoke(f"o{i}"), range(4)))
        assert [m.content for m in answers] == ["Hello from fake Ollama"] * 12
        assert a.peak_active <= 2 and b.peak_active <= 2
        assert a.peak_active == 2 or b.peak_active == 2
        llm.invoke("hi", session_id="conv-7")
        assert any(h.get("X-Session-ID") == "conv-7" for h in a.chat_headers + b.chat_headers)
        assert llm.client.endpoints.routing == "least_busy"


def test_embeddings_take_routing_too() -> None:
    with FakeOllama() as a, FakeOllama() as b:
        emb = LocalLLMEmbeddings(model="nomic-embed-text", base_url=[a.url, b.url],
                                 backend="ollama", routing="least_busy", max_concurrency=1)
        vectors = [emb.embed_query(f"text {i}") for i in range(8)]
        assert len(vectors) == 8 and all(vectors)
        embeds = [sum(1 for _, p, _ in s.requests if p == "/api/embed") for s in (a, b)]
        assert sum(embeds) == 8
        assert emb.client.endpoints_state()[0].max_concurrency == 1
