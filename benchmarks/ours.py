"""This project's clients: the core ``Client`` / ``AsyncClient`` and both adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ._common import (
    MODEL,
    PROMPT,
    AsyncStream,
    SyncStream,
    client,
    langchain_async,
    langchain_sync,
    llamaindex_async,
    llamaindex_sync,
)


@client("localllm_sync", is_async=False, group="localllm")
def localllm_sync(url: str, protocol: str, chunks: int) -> SyncStream:
    from localllm import Client

    c = Client(url, backend=protocol)
    return lambda: (d.content for d in c.chat_stream(PROMPT, model=MODEL) if d.content)


@client("localllm_async", is_async=True, group="localllm")
def localllm_async(url: str, protocol: str, chunks: int) -> AsyncStream:
    from localllm import AsyncClient

    c = AsyncClient(url, backend=protocol)

    async def stream() -> AsyncIterator[str]:
        async for d in c.chat_stream(PROMPT, model=MODEL):
            if d.content:
                yield d.content
    return stream


def _chat_local_llm(url: str, protocol: str) -> Any:
    from langchain_localllm import ChatLocalLLM

    return ChatLocalLLM(model=MODEL, base_url=url, backend=protocol)


def _local_llm(url: str, protocol: str) -> Any:
    from llamaindex_localllm import LocalLLM

    return LocalLLM(model=MODEL, base_url=url, backend=protocol)


def _register(name: str, framework: str, build: Any, sync: Any, asynchronous: Any) -> None:
    for suffix, is_async, wrap in (("", False, sync), ("_async", True, asynchronous)):
        client(name + suffix, is_async=is_async, group="localllm", framework=framework)(
            lambda url, proto, chunks, wrap=wrap: wrap(build(url, proto)))


_register("ChatLocalLLM", "langchain", _chat_local_llm, langchain_sync, langchain_async)
_register("LocalLLM", "llamaindex", _local_llm, llamaindex_sync, llamaindex_async)
