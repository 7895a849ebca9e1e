"""Other clients for the same servers, measured when installed (``pip install -e '.[bench]'``).
Each is used the way its documentation shows, with its defaults."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
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

API_KEY = "not-needed"  # OpenAI-SDK clients insist on one


@client("ollama_sdk", is_async=False, protocols=("ollama",), group="peer", needs="ollama")
def ollama_sdk(url: str, protocol: str, chunks: int) -> SyncStream:
    import ollama

    c = ollama.Client(host=url)

    def stream() -> Iterator[str]:
        for part in c.chat(model=MODEL, messages=PROMPT, stream=True):
            if part.message.content:
                yield part.message.content
    return stream


@client("ollama_sdk_async", is_async=True, protocols=("ollama",), group="peer", needs="ollama")
def ollama_sdk_async(url: str, protocol: str, chunks: int) -> AsyncStream:
    import ollama

    c = ollama.AsyncClient(host=url)

    async def stream() -> AsyncIterator[str]:
        async for part in await c.chat(model=MODEL, messages=PROMPT, stream=True):
            if part.message.content:
                yield part.message.content
    return stream


def _langchain_peer(url: str, protocol: str) -> Any:
    if protocol == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(model=MODEL, base_url=url)
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model=MODEL, base_url=url + "/v1", api_key=API_KEY)  # type: ignore[arg-type]


def _llamaindex_peer(url: str, protocol: str) -> Any:
    if protocol == "ollama":
        from llama_index.llms.ollama import Ollama

        return Ollama(model=MODEL, base_url=url, request_timeout=60, context_window=4096)
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(model=MODEL, api_base=url + "/v1", api_key=API_KEY, is_chat_model=True,
                      context_window=4096)


def _register(name: str, protocol: str, needs: str, framework: str, build: Any,
              sync: Any, asynchronous: Any) -> None:
    for suffix, is_async, wrap in (("", False, sync), ("_async", True, asynchronous)):
        client(name + suffix, is_async=is_async, protocols=(protocol,), group="peer",
               needs=needs, framework=framework)(
            lambda url, proto, chunks, wrap=wrap: wrap(build(url, proto)))


_register("ChatOllama", "ollama", "langchain_ollama", "langchain", _langchain_peer,
          langchain_sync, langchain_async)
_register("ChatOpenAI", "openai", "langchain_openai", "langchain", _langchain_peer,
          langchain_sync, langchain_async)
_register("LI_Ollama", "ollama", "llama_index.llms.ollama", "llamaindex", _llamaindex_peer,
          llamaindex_sync, llamaindex_async)
_register("LI_OpenAILike", "openai", "llama_index.llms.openai_like", "llamaindex",
          _llamaindex_peer, llamaindex_sync, llamaindex_async)
