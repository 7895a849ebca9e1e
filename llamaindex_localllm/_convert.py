"""Pure conversions between LlamaIndex types and the core's ``Delta`` / ``ChatResult``.

One ``ChatStream`` turns the core's deltas into LlamaIndex ``ChatResponse`` chunks; the sync and
async methods of ``LocalLLM`` only move deltas into it, so the per-chunk logic exists once.
Tool-call fragments are merged by the core ``Accumulator`` (never here), which also keeps each
call's id stable from the first chunk that shows it to the last.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    ImageBlock,
    LLMMetadata,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import BaseModel
from llama_index.core.constants import DEFAULT_NUM_OUTPUTS
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

from localllm.accumulate import Accumulator
from localllm.messages import parse_tool_call
from localllm.types import ChatResult, Delta, ModelInfo, ToolCall

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

#: Assumed served context while the server has not said (Ollama reports it only for loaded
#: models). 2048 is the smallest default any Ollama version loads, so prompts sized to it fit.
FALLBACK_CONTEXT_WINDOW = 2048

_ROLES = {"developer": "system", "function": "tool", "chatbot": "assistant", "model": "assistant"}


# -- LlamaIndex messages -> core message dicts ------------------------------------------------
def to_core_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """Tool results get the tool's name from the call they answer: Ollama matches results by
    ``tool_name``, and LlamaIndex agents only record the call id."""
    names: dict[str, str] = {}
    out = []
    for m in messages:
        role = _ROLES.get(m.role.value, m.role.value)
        texts, images, thinking, calls = [], [], [], []
        for block in m.blocks:
            if isinstance(block, TextBlock):
                texts.append(block.text)
            elif isinstance(block, ImageBlock):
                images.append(block.inline_url() if block.image or block.path else str(block.url))
            elif isinstance(block, ThinkingBlock):
                thinking.append(block.content or "")
            elif isinstance(block, ToolCallBlock):
                calls.append(_openai_call(block.tool_call_id, block.tool_name, block.tool_kwargs))
            elif not isinstance(block, CachePoint):
                raise ValueError(f"LocalLLM cannot send {block.block_type!r} content blocks; "
                                 "convert them to text or images first")
        extra = m.additional_kwargs
        if not calls:
            calls = [_plain(c) for c in extra.get("tool_calls") or ()]
        msg: dict[str, Any] = {"role": role, "content": "\n".join(texts)}
        if images:
            msg["images"] = images
        if calls:
            msg["tool_calls"] = calls
            names.update((c["id"], c["function"]["name"]) for c in calls if c.get("id"))
        reasoning = "".join(thinking) or extra.get("thinking") or extra.get("reasoning_content")
        if reasoning and role == "assistant":
            msg["reasoning"] = reasoning
        if role == "tool":
            call_id = extra.get("tool_call_id")
            name = extra.get("name") or extra.get("tool_name") or names.get(call_id or "")
            msg.update({k: v for k, v in (("tool_call_id", call_id), ("name", name)) if v})
        out.append(msg)
    return out


def _plain(call: Any) -> dict[str, Any]:
    """A tool call from ``additional_kwargs`` (dicts, or SDK objects from other integrations)."""
    if isinstance(call, Mapping):
        return dict(call)
    if isinstance(call, BaseModel):
        return call.model_dump()
    raise TypeError(f"cannot read tool call {call!r}")


def _openai_call(call_id: str | None, name: str, arguments: dict[str, Any] | str
                 ) -> dict[str, Any]:
    call: dict[str, Any] = {"type": "function", "function": {
        "name": name, "arguments": json.dumps(parse_arguments(arguments))}}
    if call_id:
        call["id"] = call_id
    return call


def parse_arguments(arguments: dict[str, Any] | str) -> dict[str, Any]:
    """Complete JSON as is; partial JSON (mid-stream) as far as it goes; garbage as ``{}``."""
    if isinstance(arguments, dict):
        return arguments
    try:
        parsed = parse_partial_json(arguments) if arguments.strip() else {}
    except (ValueError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


# -- core deltas -> LlamaIndex responses -----------------------------------------------------
class ChatStream:
    """Folds one call's deltas; ``chunk`` gives the streamed ``ChatResponse`` for a delta
    (``delta`` text plus the whole message so far), ``response`` the non-streamed answer.

    While the answer is plain text (no reasoning, no tool calls) each chunk's message is
    built directly from the running text: LlamaIndex wants the whole message on every
    chunk, and re-folding the stream each time would cost O(n) per chunk."""

    __slots__ = ("_acc", "_plain", "_text")

    def __init__(self) -> None:
        self._acc = Accumulator()
        self._text = ""
        self._plain = True

    def add(self, delta: Delta) -> None:
        self._acc.add(delta)

    def chunk(self, delta: Delta) -> ChatResponse:
        acc = self._acc
        acc.add(delta)
        self._text += delta.content
        if self._plain and not (delta.reasoning or delta.tool_calls):
            message = _text_message(self._text)
        else:
            self._plain = False
            message = to_message(acc.result(strict=False))
        extra = _extras(acc)  # usage etc. arrive on their own chunks: keep them
        if delta.reasoning:
            extra["thinking_delta"] = delta.reasoning  # what LlamaIndex agents stream
        return ChatResponse(message=message, delta=delta.content, raw=_raw(delta),
                            additional_kwargs=extra)

    def response(self) -> ChatResponse:
        result = self._acc.result(strict=False)
        return ChatResponse(message=to_message(result), raw=_raw(result),
                            additional_kwargs=_extras(result))


def _text_message(text: str) -> ChatMessage:
    """What ``to_message`` builds for plain text, without its branches."""
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=[TextBlock(text=text)])


def to_message(result: ChatResult) -> ChatMessage:
    """Blocks: thinking, text (always, so ``content`` is ``""`` rather than None), tool calls.
    Tool calls are also in ``additional_kwargs["tool_calls"]`` (OpenAI shape), where LlamaIndex's
    streaming structured-output code looks for them."""
    blocks: list[Any] = []
    extra: dict[str, Any] = {}
    if result.reasoning:
        blocks.append(ThinkingBlock(content=result.reasoning))
        extra["thinking"] = result.reasoning
    blocks.append(TextBlock(text=result.content))
    if result.tool_calls:
        blocks += [ToolCallBlock(tool_call_id=c.id, tool_name=c.name, tool_kwargs=_kwargs(c))
                   for c in result.tool_calls]
        extra["tool_calls"] = [_openai_call(c.id, c.name, _kwargs(c)) for c in result.tool_calls]
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def _kwargs(call: ToolCall) -> dict[str, Any] | str:
    """Arguments not yet valid JSON (mid-stream) stay text, as ``ToolCallBlock`` allows."""
    return call.raw_arguments if call.raw_arguments is not None else call.arguments


def _extras(x: Accumulator | ChatResult) -> dict[str, Any]:
    """Token counts under OpenAI's flat keys (what LlamaIndex token counting reads), timings
    in milliseconds, finish reason and model: all as known so far."""
    out: dict[str, Any] = dataclasses.asdict(x.usage) if x.usage else {}
    if x.timings:
        out["timings"] = dataclasses.asdict(x.timings)
    if x.finish_reason:
        out["finish_reason"] = x.finish_reason
    if x.model:
        out["model"] = x.model
    return out


def _raw(x: Delta | ChatResult) -> dict[str, Any]:
    """The non-empty fields as plain data (``dataclasses.asdict`` deep-copies: slow per chunk)."""
    out: dict[str, Any] = {}
    for name in _RAW_FIELDS:
        value = getattr(x, name)
        if value is None or value == "" or value == ():
            continue
        if name == "tool_calls":
            value = tuple(dataclasses.asdict(c) for c in value)
        elif name in ("usage", "timings"):
            value = dataclasses.asdict(value)
        out[name] = value
    return out


_RAW_FIELDS = tuple(f.name for f in dataclasses.fields(Delta))


def to_completion(response: ChatResponse) -> CompletionResponse:
    return CompletionResponse(text=response.message.content or "", delta=response.delta,
                              raw=response.raw, additional_kwargs=response.additional_kwargs)


# -- tools --------------------------------------------------------------------------------------
def tool_specs(tools: Sequence[BaseTool]) -> list[dict[str, Any]]:
    return [t.metadata.to_openai_tool(skip_length_check=True) for t in tools]


def tool_selections(message: ChatMessage) -> list[ToolSelection]:
    """Works on every streamed chunk: blocks hold the calls accumulated so far."""
    blocks = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    if blocks:
        return [ToolSelection(tool_id=b.tool_call_id or "", tool_name=b.tool_name,
                              tool_kwargs=parse_arguments(b.tool_kwargs)) for b in blocks]
    # Messages built elsewhere: OpenAI or Ollama shape in additional_kwargs.
    calls = [parse_tool_call(_plain(c), i)
             for i, c in enumerate(message.additional_kwargs.get("tool_calls") or ())]
    return [ToolSelection(tool_id=c.id, tool_name=c.name, tool_kwargs=c.arguments) for c in calls]


def keep_first_tool_call(response: ChatResponse) -> ChatResponse:
    """``allow_parallel_tool_calls=False``: drop every call after the first."""
    message = response.message
    blocks, seen = [], False
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            if seen:
                continue
            seen = True
        blocks.append(block)
    message.blocks = blocks
    if message.additional_kwargs.get("tool_calls"):
        message.additional_kwargs["tool_calls"] = message.additional_kwargs["tool_calls"][:1]
    return response


# -- metadata and structured output -------------------------------------------------------------
def metadata(*, model: str, info: ModelInfo | None, context_window: int | None,
             max_tokens: int | None, function_calling: bool | None) -> LLMMetadata:
    """Configured values win; then what the server said; then conservative assumptions."""
    window = context_window or (info.context_window if info else None) or FALLBACK_CONTEXT_WINDOW
    if function_calling is None:
        # No capability list (older Ollama, vLLM, LM Studio) means "unknown", not "no tools".
        caps = info.capabilities if info else ()
        function_calling = not caps or "tools" in caps
    return LLMMetadata(context_window=window, num_output=max_tokens or DEFAULT_NUM_OUTPUTS,
                       is_chat_model=True, is_function_calling_model=function_calling,
                       model_name=model or (info.name if info else ""))


def json_schema_format(output_cls: type[BaseModel]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {
        "name": output_cls.__name__, "schema": output_cls.model_json_schema(), "strict": True}}


def parse_structured(output_cls: type[BaseModel], text: str) -> Any:
    try:
        return output_cls.model_validate_json(text)
    except ValueError as exc:
        raise ValueError(f"The model's answer is not a valid {output_cls.__name__}: "
                         f"{text[:300]!r} ({exc})") from exc


class StructuredStream:
    """Partial objects from a growing JSON text, via LlamaIndex's own partial-JSON repair."""

    __slots__ = ("_current", "_output_cls")

    def __init__(self, output_cls: type[BaseModel]) -> None:
        self._output_cls = output_cls
        self._current: Any = None

    def update(self, response: ChatResponse) -> Any:
        from llama_index.core.program.utils import process_streaming_objects

        self._current = process_streaming_objects(
            response, self._output_cls,
            cur_objects=[self._current] if self._current is not None else None)
        return self._current
