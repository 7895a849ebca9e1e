"""LocalLLM over several servers: routing, the cap shared with other objects, session_id."""

from __future__ import annotations

import asyncio

from llama_index.core.llms import ChatMessage

from llamaindex_localllm import LocalLLM
from tests.support.fake_ollama import FakeOllama


def test_astream_chat_tasks_are_capped_and_affinity_holds() -> None:
    with FakeOllama(delay=0.02) as a, FakeOllama(delay=0.02) as b:
        llm = LocalLLM(model="llama3.2:1b", base_url=[a.url, b.url], backend="ollama",
                       routing="affinity", max_concurrency=1, context_window=4096,
                       is_function_calling_model=True)

        async def one(i: int) -> str:
            text = ""
            stream = await llm.astream_chat([ChatMessage(role="user", content=f"c{i}")])
            async for chunk in stream:
                text = chunk.message.content or ""
            return text

        async def run() -> list[str]:
            return await asyncio.gather(*(one(i) for i in range(6)))

        assert asyncio.run(run()) == ["Hello from fake Ollama"] * 6
        assert a.peak_active == 1 and b.peak_active == 1
        for _ in range(3):
            llm.chat([ChatMessage(role="user", content="same")], session_id="s9")
        last = [h for h in a.chat_headers + b.chat_headers if h.get("X-Session-ID") == "s9"]
        assert len(last) == 3
        assert {len([h for h in s.chat_headers if h.get("X-Session-ID") == "s9"])
                for s in (a, b)} == {0, 3}
