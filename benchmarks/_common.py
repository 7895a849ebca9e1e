"""What every benchmark client shares: the prompt, the fake model name, line parsers for the
raw floors, and the registry that ``measure`` looks clients up in."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

MODEL = "m"
PROMPT = [{"role": "user", "content": "hi"}]

SyncStream = Callable[[], Iterator[str]]
AsyncStream = Callable[[], AsyncIterator[str]]


@dataclass(frozen=True)
class ClientSpec:
    """One client under test. ``make(url, protocol, chunks)`` builds a callable that runs one
    streamed request and yields its content pieces; ``group`` orders and colours the report."""

    name: str
    make: Callable[[str, str, int], Any]
    is_async: bool
    protocols: tuple[str, ...]
    group: str  # "floor", "framework floor", "localllm", "peer"
    needs: str | None = None  # module that must be importable (peers are optional)
    framework: str | None = None  # "langchain" / "llamaindex": compared with that floor


REGISTRY: dict[str, ClientSpec] = {}


def client(name: str, *, is_async: bool, protocols: tuple[str, ...] = ("ollama", "openai"),
           group: str, needs: str | None = None, framework: str | None = None
           ) -> Callable[[Any], Any]:
    def register(make: Any) -> Any:
        REGISTRY[name] = ClientSpec(name, make, is_async, protocols, group, needs, framework)
        return make
    return register


def langchain_sync(llm: Any) -> SyncStream:
    """A LangChain chat model used as its docs show: ``llm.stream(...)``."""
    return lambda: (str(c.content) for c in llm.stream("hi") if c.content)


def langchain_async(llm: Any) -> AsyncStream:
    async def stream() -> AsyncIterator[str]:
        async for c in llm.astream("hi"):
            if c.content:
                yield str(c.content)
    return stream


def llamaindex_sync(llm: Any) -> SyncStream:
    """A LlamaIndex LLM used as its docs show: ``llm.stream_chat(messages)``."""
    msgs = _llamaindex_messages()
    return lambda: (r.delta for r in llm.stream_chat(msgs) if r.delta)


def llamaindex_async(llm: Any) -> AsyncStream:
    msgs = _llamaindex_messages()

    async def stream() -> AsyncIterator[str]:
        async for r in await llm.astream_chat(msgs):
            if r.delta:
                yield r.delta
    return stream


def _llamaindex_messages() -> Any:
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role="user", content="hi")]


def chat_path(protocol: str) -> str:
    return "/api/chat" if protocol == "ollama" else "/v1/chat/completions"


def ndjson_content(line: bytes) -> str | None:
    return json.loads(line)["message"]["content"] or None  # type: ignore[no-any-return]


def sse_content(line: bytes) -> str | None:
    if not line.startswith(b"data: ") or line == b"data: [DONE]":
        return None
    choices = json.loads(line[6:])["choices"]
    return choices[0]["delta"].get("content") if choices else None


def line_parser(protocol: str) -> Callable[[bytes], str | None]:
    return ndjson_content if protocol == "ollama" else sse_content


def pin_to_core(core: int) -> None:
    """Client and fake server each on a core of their own (when there are two): no
    migrations, and neither steals the other's cycles."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {core})
