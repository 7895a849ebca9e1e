"""Pure conversions between LangChain types and the core: messages out, deltas in.

Both ``_stream`` and ``_astream`` feed every core ``Delta`` through one ``ChunkConverter``;
nothing here does I/O, so sync and async share every line of it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk

from localllm.accumulate import StreamTail
from localllm.types import Delta, Timings

PROVIDER = "localllm"


# -- LangChain messages → core message dicts -------------------------------------------------
def to_core_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    return [_to_core(m) for m in messages]


def _to_core(m: BaseMessage) -> dict[str, Any]:
    if isinstance(m, SystemMessage):
        return {"role": "system", "content": _text_only(m.content)}
    if isinstance(m, HumanMessage):
        return {"role": "user", "content": _parts(m.content)}
    if isinstance(m, AIMessage):
        out: dict[str, Any] = {"role": "assistant", "content": _text_only(m.content)}
        if m.tool_calls:
            out["tool_calls"] = [
                {"id": c.get("id") or f"call_{i}", "type": "function",
                 "function": {"name": c["name"], "arguments": json.dumps(c["args"])}}
                for i, c in enumerate(m.tool_calls)]
        return out
    if isinstance(m, ToolMessage):
        return {"role": "tool", "content": _text_only(m.content),
                "tool_call_id": m.tool_call_id, "name": m.name}
    if isinstance(m, FunctionMessage):
        return {"role": "tool", "content": _text_only(m.content), "name": m.name}
    if isinstance(m, ChatMessage):
        return {"role": m.role, "content": _parts(m.content)}
    raise TypeError(f"unsupported message type for a chat model: {type(m).__name__}")


def _text_only(content: str | list[Any]) -> str:
    if isinstance(content, str):
        return content
    texts = []
    for block in content:
        if isinstance(block, str):
            texts.append(block)
        elif block.get("type") == "text":
            texts.append(block.get("text", ""))
        elif block.get("type") not in ("reasoning", "thinking", "tool_call", "tool_use"):
            texts.append(json.dumps(block))  # e.g. a JSON tool result block
    return "".join(texts)


def _parts(content: str | list[Any]) -> str | list[dict[str, Any]]:
    """Text and images (OpenAI ``image_url`` parts, LangChain standard image blocks)."""
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for block in content:
        if isinstance(block, str):
            parts.append({"type": "text", "text": block})
        elif block.get("type") == "text":
            parts.append({"type": "text", "text": block.get("text", "")})
        elif block.get("type") == "image_url":
            parts.append(block)
        elif block.get("type") == "image":
            parts.append({"type": "image_url", "image_url": {"url": _image_url(block)}})
        else:
            raise ValueError(f"content block type {block.get('type')!r} is not supported; "
                             "use text and image blocks")
    return parts


def _image_url(block: dict[str, Any]) -> str:
    if block.get("url"):
        return str(block["url"])
    data = block.get("base64") or block.get("data")
    if data is None:
        raise ValueError("image block needs 'url' or base64 data")
    return f"data:{block.get('mime_type', 'image/png')};base64,{data}"


# -- core deltas → LangChain chunks ----------------------------------------------------------
def timings_dict(t: Timings) -> dict[str, Any]:
    out = {"prompt_n": t.prompt_n, "prompt_ms": t.prompt_ms, "predicted_n": t.predicted_n,
           "predicted_ms": t.predicted_ms, "predicted_per_second": t.predicted_per_second,
           "prompt_per_second": t.prompt_per_second, "load_ms": t.load_ms,
           "total_ms": t.total_ms}
    return {k: v for k, v in out.items() if v is not None}


class ChunkConverter:
    """Turns the core stream into ``ChatGenerationChunk``s.

    Output (content, reasoning, tool-call fragments) goes out at once; usage, timings,
    finish reason and model name are held for one final chunk (``chunk_position="last"``),
    so merging chunks never has to add two numbers. A tool-call index that reappears with
    a new id (a vLLM quirk) gets a fresh LangChain index, so LangChain does not glue two
    calls together.
    """

    __slots__ = ("_index_ids", "_named", "_next_index", "model_name", "stream_usage", "tail")

    def __init__(self, model_name: str | None, stream_usage: bool) -> None:
        self.model_name = model_name
        self.stream_usage = stream_usage
        self.tail = StreamTail()
        self._index_ids: dict[int, tuple[str | None, int]] = {}
        self._named: set[int] = set()  # LangChain indexes whose name was given
        self._next_index = 0

    def convert(self, d: Delta) -> ChatGenerationChunk | None:
        self.tail.update(d)
        if not (d.content or d.reasoning or d.tool_calls):
            return None
        if not (d.reasoning or d.tool_calls):  # the per-token case: no empty extras to check
            return ChatGenerationChunk(message=AIMessageChunk(content=d.content))
        extra = {"reasoning_content": d.reasoning} if d.reasoning else {}
        chunks = []
        for f in d.tool_calls:
            index = self._lc_index(f.index, f.id)
            # LangChain joins the names of merged chunks: vLLM repeats the name (named
            # tool_choice), so only a call's first fragment carries it.
            name = f.name if index not in self._named else None
            if name:
                self._named.add(index)
            chunks.append(tool_call_chunk(name=name, args=f.arguments, id=f.id, index=index))
        message = AIMessageChunk(content=d.content, additional_kwargs=extra,
                                 tool_call_chunks=chunks)
        return ChatGenerationChunk(message=message)

    def _lc_index(self, index: int, call_id: str | None) -> int:
        known = self._index_ids.get(index)
        if known is None or (call_id and known[0] and call_id != known[0]):
            known = (call_id, self._next_index)
            self._next_index += 1
            self._index_ids[index] = known
        return known[1]

    def final(self) -> ChatGenerationChunk:
        tail = self.tail
        model_name = tail.model or self.model_name
        metadata: dict[str, Any] = {"model_provider": PROVIDER}
        if tail.finish_reason:
            metadata["finish_reason"] = tail.finish_reason
        if model_name:
            metadata["model_name"] = model_name
        if tail.timings is not None:
            metadata["timings"] = timings_dict(tail.timings)
        usage = None
        if tail.usage is not None and self.stream_usage:
            usage = UsageMetadata(input_tokens=tail.usage.prompt_tokens,
                                  output_tokens=tail.usage.completion_tokens,
                                  total_tokens=tail.usage.total_tokens)
        message = AIMessageChunk(content="", response_metadata=metadata, usage_metadata=usage,
                                 chunk_position="last")
        info = {"finish_reason": tail.finish_reason, "model_name": model_name}
        return ChatGenerationChunk(message=message, generation_info=info)
