"""ChatLocalLLM behaviour beyond the standard suites: on the REAL embedded llama.cpp server,
and on the Ollama path against a fake Ollama built from Ollama's documented wire format."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from langchain_core import exceptions as lc_exceptions
from langchain_core.load import dumpd, dumps, load, loads
from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel

from langchain_localllm import ChatLocalLLM, LocalLLMEmbeddings
from localllm import Timeouts
from localllm.errors import FirstTokenTimeout, ServerError
from localllm.server import EmbeddedServer
from tests.support.fake_ollama import (
    FakeOllama,
    Reply,
    error_mid_stream,
    thinking_reply,
    tool_call_reply,
)

GREEDY: dict[str, Any] = {"temperature": 0, "seed": 42, "max_tokens": 48}
# newer langchain-core has these; on 1.0 the adapter's errors derive from LangChainException
ModelAPIError = getattr(lc_exceptions, "ModelAPIError", lc_exceptions.LangChainException)
ModelTimeoutError = getattr(lc_exceptions, "ModelTimeoutError", lc_exceptions.LangChainException)
SECRET = "sk-very-secret-123"


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny in {city}"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.fixture
def llm(embedded_server: EmbeddedServer) -> ChatLocalLLM:
    return ChatLocalLLM(model="gemma-3-270m", base_url=embedded_server.url, **GREEDY)


# -- real server ---------------------------------------------------------------------------------
def test_lcel_chain_streams_token_by_token(llm: ChatLocalLLM) -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "You are terse."),
                                               ("human", "Say something about {topic}.")])
    chain = prompt | llm | StrOutputParser()
    pieces = list(chain.stream({"topic": "the sea"}))
    assert len([p for p in pieces if p]) >= 3, pieces
    assert "".join(pieces).strip()


def test_repeated_asyncio_run_on_one_model_object(llm: ChatLocalLLM) -> None:
    async def once() -> str:
        return str((await llm.ainvoke("Hi")).content)

    results = [asyncio.run(once()) for _ in range(3)]
    assert all(results)

    async def stream_once() -> int:
        return len([c async for c in llm.astream("Hi")])

    assert asyncio.run(stream_once()) > 1 and asyncio.run(stream_once()) > 1


def test_named_tool_choice_is_enforced(llm: ChatLocalLLM) -> None:
    """llama.cpp ignores a named tool_choice; the adapter's core enforces it."""
    msg = llm.bind_tools([get_weather, add], tool_choice="add").invoke(
        "What is the weather in Paris?")
    assert [c["name"] for c in msg.tool_calls] == ["add"]


def test_streamed_tool_call_chunks_have_stable_ids_and_indexes(llm: ChatLocalLLM) -> None:
    bound = llm.bind_tools([get_weather], tool_choice="required")
    chunks = list(bound.stream("What is the weather in Paris?"))
    tc_chunks = [tc for c in chunks for tc in c.tool_call_chunks]
    assert tc_chunks and tc_chunks[0]["id"] and tc_chunks[0]["name"] == "get_weather"
    assert {tc["index"] for tc in tc_chunks} == {0}
    assert all(tc["id"] in (None, tc_chunks[0]["id"]) for tc in tc_chunks)
    full: Any = sum(chunks[1:], chunks[0])
    assert full.tool_calls[0]["args"]["city"].lower() == "paris"
    assert full.tool_calls[0]["id"] == tc_chunks[0]["id"]
    assert full.response_metadata["finish_reason"] == "tool_calls"


def test_usage_timings_and_metadata_on_the_last_chunk(llm: ChatLocalLLM) -> None:
    chunks = list(llm.stream("Hello"))
    last = chunks[-1]
    assert last.chunk_position == "last" and last.usage_metadata
    assert all(c.usage_metadata is None for c in chunks[:-1])
    meta = last.response_metadata
    assert meta["model_name"] == "gemma-3-270m" and meta["finish_reason"] in ("stop", "length")
    assert meta["timings"]["predicted_per_second"] > 0 and meta["timings"]["prompt_n"] > 0
    quiet = ChatLocalLLM(model="gemma-3-270m", base_url=llm.base_url, stream_usage=False,
                         **GREEDY)
    assert all(c.usage_metadata is None for c in quiet.stream("Hello"))
    assert quiet.invoke("Hello").usage_metadata  # invoke always reports usage


def test_structured_output_methods(llm: ChatLocalLLM) -> None:
    class City(BaseModel):
        name: str
        country: str

    for method in ("json_schema", "function_calling", "json_mode"):
        out = llm.with_structured_output(City, method=method).invoke(  # type: ignore[arg-type]
            "Name a city and its country as JSON with keys name and country.")
        assert isinstance(out, City), method
    raw = llm.with_structured_output(City, include_raw=True).invoke("Name a city.")
    assert isinstance(raw["parsed"], City) and raw["parsing_error"] is None
    assert raw["raw"].content


def test_context_overflow_is_langchains_type(llm: ChatLocalLLM) -> None:
    from langchain_core.exceptions import ContextOverflowError

    from localllm.errors import ContextOverflow

    with pytest.raises(ContextOverflowError) as info:
        llm.invoke("word " * 5000)
    assert isinstance(info.value.__cause__, ContextOverflow)
    assert isinstance(info.value, ContextOverflow) and info.value.n_ctx == 2048
    assert "Hint:" in str(info.value)


def test_embeddings_batch_sync_and_async(embedded_server: EmbeddedServer) -> None:
    emb = LocalLLMEmbeddings(model="gemma-3-270m", base_url=embedded_server.url, batch_size=2)
    texts = ["one", "two", "three", "four", "five"]
    vectors = emb.embed_documents(texts)
    assert len(vectors) == 5 and len(vectors[0]) == 640
    async_vectors = asyncio.run(emb.aembed_documents(texts))
    assert len(async_vectors) == 5
    for a, b in zip(async_vectors, vectors, strict=True):
        assert a == pytest.approx(b, abs=1e-4)
    assert emb.embed_documents([]) == []


# -- serialisation and secrets --------------------------------------------------------------------
def test_dumpd_loads_round_trip_keeps_no_key() -> None:
    model = ChatLocalLLM(model="m", base_url="http://127.0.0.1:9", api_key=SECRET,
                         temperature=0.2)
    text = dumps(model)
    assert SECRET not in text and SECRET not in repr(model) and SECRET not in str(model)
    assert json.loads(text)["kwargs"]["api_key"]["id"] == ["LOCALLLM_API_KEY"]
    restored = loads(text, secrets_map={"LOCALLLM_API_KEY": SECRET},
                     valid_namespaces=["langchain_localllm"], allowed_objects=[ChatLocalLLM])
    assert isinstance(restored, ChatLocalLLM) and restored.temperature == 0.2
    assert restored.api_key is not None and restored.api_key.get_secret_value() == SECRET
    again = load(dumpd(model), secrets_map={"LOCALLLM_API_KEY": SECRET},
                 valid_namespaces=["langchain_localllm"], allowed_objects=[ChatLocalLLM])
    assert dumpd(again) == dumpd(model)


# -- Ollama path (fake Ollama built from the documented wire format) ------------------------------
def _fake_llm(fake: FakeOllama, **kw: Any) -> ChatLocalLLM:
    return ChatLocalLLM(model="llama3.2:1b", base_url=fake.url, api_key=SECRET, **kw)


def test_ollama_tool_calls_thinking_usage(fake_ollama: FakeOllama) -> None:
    fake_ollama.enqueue(tool_call_reply("get_weather", {"city": "Paris"}))
    msg = _fake_llm(fake_ollama).bind_tools([get_weather]).invoke("weather?")
    call = msg.tool_calls[0]
    assert call["args"] == {"city": "Paris"} and call["id"].startswith("call_")
    assert msg.usage_metadata and msg.response_metadata["finish_reason"] == "tool_calls"
    fake_ollama.enqueue(thinking_reply("Let me think.", "Four."))
    think = ChatLocalLLM(model="qwen3:0.6b", base_url=fake_ollama.url, reasoning=True,
                         output_version="v1").invoke("2+2?")
    assert think.additional_kwargs["reasoning_content"] == "Let me think."
    assert [b["type"] for b in think.content_blocks] == ["reasoning", "text"]
    body = fake_ollama.requests[-1][2]
    assert body["think"] is True


def test_ollama_image_blocks_are_sent_as_base64(fake_ollama: FakeOllama) -> None:
    _fake_llm(fake_ollama).invoke([HumanMessage(content=[
        {"type": "text", "text": "what is this?"},
        {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"}])])
    sent = fake_ollama.requests[-1][2]["messages"][0]
    assert sent["images"] == ["iVBORw0KGgo="] and sent["content"] == "what is this?"


def test_mid_stream_error_surfaces_as_exception(fake_ollama: FakeOllama) -> None:
    fake_ollama.enqueue(error_mid_stream("some words", "llama runner process has terminated"))
    chunks: list[AIMessageChunk] = []
    with pytest.raises(ModelAPIError) as info:
        chunks.extend(_fake_llm(fake_ollama).stream("hi"))
    assert isinstance(info.value.__cause__, ServerError)
    assert "runner process has terminated" in str(info.value) and "Hint:" in str(info.value)
    assert chunks and all(c.chunk_position != "last" for c in chunks)  # never "complete"
    assert SECRET not in str(info.value) and SECRET not in repr(info.value.__cause__)


def test_timeout_maps_to_model_timeout_error(fake_ollama: FakeOllama) -> None:
    model = _fake_llm(fake_ollama, timeout=Timeouts(connect=2, first_token=0.4, idle=5))
    for call in (model.invoke, lambda m: asyncio.run(model.ainvoke(m))):
        fake_ollama.enqueue(Reply(raw=[1.5, {"message": {"content": "late"}, "done": True}]))
        started = time.monotonic()
        with pytest.raises(ModelTimeoutError) as info:
            call("hi")
        assert time.monotonic() - started < 1.4
        assert isinstance(info.value.__cause__, FirstTokenTimeout)
        assert "first_token" in str(info.value)


def test_token_callbacks_fire_once_per_streamed_chunk(fake_ollama: FakeOllama) -> None:
    from langchain_core.callbacks import BaseCallbackHandler

    class Tokens(BaseCallbackHandler):
        def __init__(self) -> None:
            self.tokens: list[str] = []

        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            self.tokens.append(token)

    handler = Tokens()
    chunks = list(_fake_llm(fake_ollama).stream("hi", config={"callbacks": [handler]}))
    assert "".join(handler.tokens) == "Hello from fake Ollama"
    assert len(handler.tokens) == len(chunks)
