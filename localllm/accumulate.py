"""Fold a stream of ``Delta`` into one ``ChatResult`` — the only place fragments are merged."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from .errors import ProtocolError
from .types import ChatResult, Delta, Timings, ToolCall, ToolCallFragment, Usage


def new_call_id() -> str:
    return "call_" + uuid.uuid4().hex[:24]


@dataclass(slots=True)
class _PendingCall:
    id: str | None
    name: str
    arguments: list[str] = field(default_factory=list)


class StreamTail:
    """What a stream says once, near its end: usage, timings, finish reason, model.

    Shared by the core ``Accumulator`` and the adapters' chunk converters."""

    __slots__ = ("finish_reason", "model", "timings", "usage")

    def __init__(self) -> None:
        self.usage: Usage | None = None
        self.timings: Timings | None = None
        self.finish_reason: str | None = None
        self.model: str | None = None

    def update(self, delta: Delta) -> None:
        if delta.usage is not None:
            self.usage = delta.usage
        if delta.timings is not None:
            self.timings = delta.timings
        if delta.finish_reason:
            self.finish_reason = delta.finish_reason
        if delta.model:
            self.model = delta.model


class Accumulator(StreamTail):
    """Merges tool-call fragments by ``index``; a new non-empty ``id`` on a used index
    starts a new call (vLLM has been seen reusing indexes)."""

    __slots__ = ("_by_index", "_calls", "_content", "_reasoning")

    def __init__(self) -> None:
        super().__init__()
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._calls: list[_PendingCall] = []
        self._by_index: dict[int, _PendingCall] = {}

    def add(self, delta: Delta) -> None:
        if delta.content:
            self._content.append(delta.content)
        if delta.reasoning:
            self._reasoning.append(delta.reasoning)
        for fragment in delta.tool_calls:
            self._add_fragment(fragment)
        self.update(delta)

    def _add_fragment(self, f: ToolCallFragment) -> None:
        call = self._by_index.get(f.index)
        if call is None or (f.id and call.id and f.id != call.id):
            call = _PendingCall(f.id, f.name or "")
            self._by_index[f.index] = call
            self._calls.append(call)
        else:
            if f.id and not call.id:
                call.id = f.id
            if f.name and not call.name:
                call.name = f.name
        if f.arguments:
            call.arguments.append(f.arguments)

    @property
    def content(self) -> str:
        return "".join(self._content)

    def result(self, *, strict: bool = True) -> ChatResult:
        """Build the final result. ``strict=False`` (for partial results) keeps tool calls
        whose arguments are not yet valid JSON, with the text in ``raw_arguments``, instead
        of raising."""
        return ChatResult(
            content=self.content,
            reasoning="".join(self._reasoning),
            tool_calls=tuple(self._finish_call(c, strict, self.finish_reason)
                             for c in self._calls),
            usage=self.usage,
            timings=self.timings,
            finish_reason=self.finish_reason,
            model=self.model,
        )

    @staticmethod
    def _finish_call(call: _PendingCall, strict: bool, finish_reason: str | None) -> ToolCall:
        text = "".join(call.arguments).strip()
        if not call.id:
            call.id = new_call_id()  # assigned once, so repeated result() calls agree
        try:
            args = json.loads(text) if text else {}
            if not isinstance(args, dict):
                raise ValueError("not an object")
        except ValueError:
            if not strict:
                return ToolCall(call.id, call.name, {}, raw_arguments=text)
            if finish_reason == "length":
                hint = "Generation hit max_tokens inside the arguments; raise max_tokens."
            else:
                hint = ("The model produced invalid tool arguments; retry, or use "
                        "tool_choice='required' so the server constrains the output.")
            raise ProtocolError(
                f"Tool call {call.name!r} has arguments that are not a JSON object: {text[:200]!r}",
                hint=hint) from None
        return ToolCall(call.id, call.name, args)


def accumulate(deltas: list[Delta], *, strict: bool = True) -> ChatResult:
    """Fold a whole list at once (``strict=False``: a partial result, see ``result``)."""
    acc = Accumulator()
    for d in deltas:
        acc.add(d)
    return acc.result(strict=strict)
