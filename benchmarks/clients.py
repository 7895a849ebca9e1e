"""Benchmark clients. Each runs in its own process:
``python -m benchmarks.clients CLIENT MODE URL PROTOCOL REQUESTS`` prints one JSON line.

MODE ``cpu``: process CPU per streamed chunk over REQUESTS warm requests.
MODE ``ttft``: median wall time from call to first content on a warm connection.
MODE ``concurrent``: REQUESTS concurrent async streams (wall, CPU, RSS delta, connections).
"""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

CHUNK = "tok"
PROMPT = [{"role": "user", "content": "hi"}]


def _ndjson_content(line: bytes) -> str:
    return json.loads(line)["message"]["content"]


def _sse_content(line: bytes) -> str | None:
    if not line.startswith(b"data: ") or line == b"data: [DONE]":
        return None
    choices = json.loads(line[6:])["choices"]
    return choices[0]["delta"].get("content") if choices else None


def _path(protocol: str) -> str:
    return "/api/chat" if protocol == "ollama" else "/v1/chat/completions"


# -- sync clients: each returns a function url -> iterator of content pieces ------------------
def raw_requests(url: str, protocol: str) -> Callable[[], Iterator[str]]:
    import requests

    session = requests.Session()
    parse = _ndjson_content if protocol == "ollama" else _sse_content

    def stream() -> Iterator[str]:
        with session.post(url + _path(protocol), json={"model": "m", "messages": PROMPT,
                                                       "stream": True}, stream=True) as resp:
            for line in resp.iter_lines():
                if line:
                    text = parse(line)
                    if text:
                        yield text
    return stream


def localllm_sync(url: str, protocol: str) -> Callable[[], Iterator[str]]:
    from localllm import Client

    client = Client(url, backend=protocol)
    return lambda: (d.content for d in client.chat_stream(PROMPT, model="m") if d.content)


def langchain_sync(url: str, protocol: str) -> Callable[[], Iterator[str]]:
    from langchain_localllm import ChatLocalLLM

    llm = ChatLocalLLM(model="m", base_url=url, backend=protocol)
    return lambda: (str(c.content) for c in llm.stream("hi") if c.content)


def llamaindex_sync(url: str, protocol: str) -> Callable[[], Iterator[str]]:
    from llama_index.core.llms import ChatMessage

    from llamaindex_localllm import LocalLLM

    llm = LocalLLM(model="m", base_url=url, backend=protocol)
    msgs = [ChatMessage(role="user", content="hi")]
    return lambda: (r.delta for r in llm.stream_chat(msgs) if r.delta)


def langchain_floor(url: str, protocol: str) -> Callable[[], Iterator[str]]:
    """LangChain's own streaming machinery with no I/O: prebuilt chunks through stream()."""
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessageChunk
    from langchain_core.outputs import ChatGenerationChunk, ChatResult

    n = int(sys.argv[6]) if len(sys.argv) > 6 else 500

    class Floor(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "floor"

        def _generate(self, *a: Any, **k: Any) -> ChatResult:
            raise NotImplementedError

        def _stream(self, *a: Any, **k: Any) -> Iterator[ChatGenerationChunk]:
            for _ in range(n):
                yield ChatGenerationChunk(message=AIMessageChunk(content=CHUNK))
            yield ChatGenerationChunk(message=AIMessageChunk(content="", chunk_position="last"))

    llm = Floor()
    return lambda: (str(c.content) for c in llm.stream("hi") if c.content)


def llamaindex_floor(url: str, protocol: str) -> Callable[[], Iterator[str]]:
    """LlamaIndex's own streaming machinery with no I/O: a CustomLLM through stream_chat()."""
    from llama_index.core.llms import (
        ChatMessage,
        CompletionResponse,
        CustomLLM,
        LLMMetadata,
    )
    from llama_index.core.llms.callbacks import llm_completion_callback

    n = int(sys.argv[6]) if len(sys.argv) > 6 else 500

    class Floor(CustomLLM):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata()

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            raise NotImplementedError

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            text = ""
            for _ in range(n):
                text += CHUNK
                yield CompletionResponse(text=text, delta=CHUNK)

    llm = Floor()
    msgs = [ChatMessage(role="user", content="hi")]
    return lambda: (r.delta for r in llm.stream_chat(msgs) if r.delta)


# -- async clients ---------------------------------------------------------------------------
def raw_aiohttp(url: str, protocol: str) -> Callable[[], AsyncIterator[str]]:
    import aiohttp

    holder: dict[str, Any] = {}
    parse = _ndjson_content if protocol == "ollama" else _sse_content

    async def stream() -> AsyncIterator[str]:
        if "s" not in holder:
            holder["s"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        async with holder["s"].post(url + _path(protocol), json={
                "model": "m", "messages": PROMPT, "stream": True}) as resp:
            async for line in resp.content:
                line = line.strip()
                if line:
                    text = parse(line)
                    if text:
                        yield text
    return stream


def localllm_async(url: str, protocol: str) -> Callable[[], AsyncIterator[str]]:
    from localllm import AsyncClient

    client = AsyncClient(url, backend=protocol)

    async def stream() -> AsyncIterator[str]:
        async for d in client.chat_stream(PROMPT, model="m"):
            if d.content:
                yield d.content
    return stream


def langchain_async(url: str, protocol: str) -> Callable[[], AsyncIterator[str]]:
    from langchain_localllm import ChatLocalLLM

    llm = ChatLocalLLM(model="m", base_url=url, backend=protocol)

    async def stream() -> AsyncIterator[str]:
        async for c in llm.astream("hi"):
            if c.content:
                yield str(c.content)
    return stream


def llamaindex_async(url: str, protocol: str) -> Callable[[], AsyncIterator[str]]:
    from llama_index.core.llms import ChatMessage

    from llamaindex_localllm import LocalLLM

    llm = LocalLLM(model="m", base_url=url, backend=protocol)
    msgs = [ChatMessage(role="user", content="hi")]

    async def stream() -> AsyncIterator[str]:
        async for r in await llm.astream_chat(msgs):
            if r.delta:
                yield r.delta
    return stream


SYNC = {"raw_requests": raw_requests, "localllm_sync": localllm_sync,
        "langchain_sync": langchain_sync, "llamaindex_sync": llamaindex_sync,
        "langchain_floor": langchain_floor, "llamaindex_floor": llamaindex_floor}
ASYNC = {"raw_aiohttp": raw_aiohttp, "localllm_async": localllm_async,
         "langchain_async": langchain_async, "llamaindex_async": llamaindex_async}


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(name: str, mode: str, url: str, protocol: str, requests: int) -> dict[str, Any]:
    if name in SYNC:
        stream = SYNC[name](url, protocol)
        for _ in range(2):
            assert sum(1 for _ in stream()) > 0  # warm-up: connection, imports, caches
        if mode == "ttft":
            waits = []
            for _ in range(requests):
                started = time.perf_counter()
                it = stream()
                next(it)
                waits.append(time.perf_counter() - started)
                for _ in it:
                    pass
            return {"ttft_us": statistics.median(waits) * 1e6}
        cpu0, wall0, chunks = time.process_time(), time.perf_counter(), 0
        for _ in range(requests):
            chunks += sum(1 for _ in stream())
        return {"cpu_us_per_chunk": (time.process_time() - cpu0) / chunks * 1e6,
                "wall_s": time.perf_counter() - wall0, "chunks": chunks}
    return asyncio.run(_measure_async(name, mode, url, protocol, requests))


async def _count(stream: Callable[[], AsyncIterator[str]]) -> int:
    return sum([1 async for _ in stream()])


async def _measure_async(name: str, mode: str, url: str, protocol: str, requests: int
                         ) -> dict[str, Any]:
    stream = ASYNC[name](url, protocol)
    if mode == "concurrent":
        import urllib.request

        def stats() -> dict[str, int]:
            return json.loads(urllib.request.urlopen(url + "/stats").read())  # type: ignore[no-any-return]

        rss0 = _rss_kib()
        await asyncio.gather(*[_count(stream) for _ in range(requests)])  # warm-up round
        before = stats()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        counts = await asyncio.gather(*[_count(stream) for _ in range(requests)])
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        after = stats()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"wall_s": wall, "cpu_s": cpu, "chunks": sum(counts),
                "rss_delta_mib": (peak - rss0) / 1024,
                "warm_connections": before["connections"],
                "new_connections_after_warmup": after["connections"] - before["connections"]}
    for _ in range(2):
        assert await _count(stream) > 0
    if mode == "ttft":
        waits = []
        for _ in range(requests):
            started = time.perf_counter()
            it = stream().__aiter__()
            await it.__anext__()
            waits.append(time.perf_counter() - started)
            async for _ in it:
                pass
        return {"ttft_us": statistics.median(waits) * 1e6}
    cpu0, wall0, chunks = time.process_time(), time.perf_counter(), 0
    for _ in range(requests):
        chunks += await _count(stream)
    return {"cpu_us_per_chunk": (time.process_time() - cpu0) / chunks * 1e6,
            "wall_s": time.perf_counter() - wall0, "chunks": chunks}


if __name__ == "__main__":
    name, mode, url, protocol, n = sys.argv[1:6]
    print(json.dumps(measure(name, mode, url, protocol, int(n))))
