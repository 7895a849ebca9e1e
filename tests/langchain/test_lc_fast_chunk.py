"""The plain-content chunk shortcut builds the same LangChain chunk as the general path."""

from __future__ import annotations

from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from langchain_localllm._convert import ChunkConverter
from localllm.types import Delta


def test_plain_content_chunk_equals_the_general_one() -> None:
    chunk = ChunkConverter("m", True).convert(Delta("tok"))
    general = ChatGenerationChunk(message=AIMessageChunk(
        content="tok", additional_kwargs={}, tool_call_chunks=[]))
    assert chunk == general
    assert chunk is not None and chunk.message.model_dump() == general.message.model_dump()
    assert ChunkConverter("m", True).convert(Delta()) is None
