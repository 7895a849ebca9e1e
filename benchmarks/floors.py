"""The floors every other client is compared with, measured in the same run.

Raw floors: the shortest correct loop a user could write by hand with the same HTTP
library (``requests`` / ``aiohttp``), parsing each line with ``json``. Framework floors: a
model with no I/O whose stream yields chunks through the framework's own public streaming
API (callbacks, chunk objects, accumulation): the cost every integration of that framework
pays before doing any work of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from ._common import (
    MODEL,
    PROMPT,
    AsyncStream,
    SyncStream,
    chat_path,
    client,
    langchain_async,
    langchain_sync,
    line_parser,
    llamaindex_async,
    llamaindex_sync,
)

TOKEN = "tok"


@client("raw_requests", is_async=False, group="floor")
def raw_requests(url: str, protocol: str, chunks: int) -> SyncStream:
    import requests

    session = requests.Session()
    parse = line_parser(protocol)
    body = {"model": MODEL, "messages": PROMPT, "stream": True}

    def stream() -> Iterator[str]:
        with session.post(url + chat_path(protocol), json=body, stream=True) as resp:
            for line in resp.iter_lines():
                if line:
                    text = parse(line)
                    if text:
                        yield text
    return stream


@client("raw_aiohttp", is_async=True, group="floor")
def raw_aiohttp(url: str, protocol: str, chunks: int) -> AsyncStream:
    import aiohttp

    holder: dict[str, Any] = {}
    parse = line_parser(protocol)
    body = {"model": MODEL, "messages": PROMPT, "stream": True}

    async def stream() -> AsyncIterator[str]:
        if "s" not in holder:  # made inside the running loop
            holder["s"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        async with holder["s"].post(url + chat_path(protocol), json=body) as resp:
            async for line in resp.content:
                line = line.strip()
                if line:
                    text = parse(line)
                    if text:
                        yield text
    return stream


def _langchain_floor(chunks: int) -> Any:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessageChunk
    from langchain_core.outputs import ChatGenerationChunk, ChatResult

    class Floor(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "floor"

        def _generate(self, *a: Any, **k: Any) -> ChatResult:
            raise NotImplementedError

        def _stream(self, *a: Any, **k: Any) -> Iterator[ChatGenerationChunk]:
            for _ in range(chunks):
                yield ChatGenerationChunk(message=AIMessageChunk(content=TOKEN))
            yield ChatGenerationChunk(message=AIMessageChunk(content="", chunk_position="last"))

        async def _astream(self, *a: Any, **k: Any) -> AsyncIterator[ChatGenerationChunk]:
            for _ in range(chunks):
                yield ChatGenerationChunk(message=AIMessageChunk(content=TOKEN))
            yield ChatGenerationChunk(message=AIMessageChunk(content="", chunk_position="last"))

    return Floor()


@client("langchain_floor", is_async=False, protocols=("none",), group="framework floor")
def langchain_floor(url: str, protocol: str, chunks: int) -> SyncStream:
    return langchain_sync(_langchain_floor(chunks))


@client("langchain_floor_async", is_async=True, protocols=("none",), group="framework floor")
def langchain_floor_async(url: str, protocol: str, chunks: int) -> AsyncStream:
    return langchain_async(_langchain_floor(chunks))


def _llamaindex_floor(chunks: int) -> Any:
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
    from llama_index.core.llms.callbacks import llm_completion_callback

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
            for _ in range(chunks):
                text += TOKEN
                yield CompletionResponse(text=text, delta=TOKEN)

    return Floor()


@client("llamaindex_floor", is_async=False, protocols=("none",), group="framework floor")
def llamaindex_floor(url: str, protocol: str, chunks: int) -> SyncStream:
    return llamaindex_sync(_llamaindex_floor(chunks))


@client("llamaindex_floor_async", is_async=True, protocols=("none",), group="framework floor")
def llamaindex_floor_async(url: str, protocol: str, chunks: int) -> AsyncStream:
    return llamaindex_async(_llamaindex_floor(chunks))
