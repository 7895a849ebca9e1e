"""Value types shared by every layer: plain frozen dataclasses, cheap to build per token."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Separate limits for each phase of a streamed request (seconds; None = no limit).

    ``first_token`` counts from sending the request to the first content, reasoning or
    tool delta, so it includes model loading and queueing: keep it generous. ``queue``
    is the wait for a free slot under ``max_concurrency``, before anything is sent (it
    does not count against ``first_token``; ``total`` covers both).
    """

    connect: float | None = 5.0
    first_token: float | None = 300.0
    idle: float | None = 60.0
    total: float | None = None
    queue: float | None = None

    @classmethod
    def coerce(cls, value: Timeouts | float | int | None) -> Timeouts:
        """A bare number limits every phase (and the total) to that many seconds."""
        if value is None:
            return cls()
        if isinstance(value, Timeouts):
            return value
        seconds = float(value)
        return cls(connect=seconds, first_token=seconds, idle=seconds, total=seconds,
                   queue=seconds)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A complete tool call: ``arguments`` is the parsed JSON object.

    In a partial result (an error's ``.partial``, a stream folded so far) a call whose
    argument text is not valid JSON yet has ``arguments == {}`` and that text in
    ``raw_arguments``; in a complete answer ``raw_arguments`` is None.
    """

    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str | None = None

    def to_openai(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(self.arguments)},
        }


@dataclass(frozen=True, slots=True)
class ToolCallFragment:
    """One streamed piece of a tool call; pieces with the same ``index`` belong together."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Timings:
    """Server-side timings in milliseconds (llama.cpp ``timings``; Ollama ns durations)."""

    prompt_n: int | None = None
    prompt_ms: float | None = None
    predicted_n: int | None = None
    predicted_ms: float | None = None
    load_ms: float | None = None
    total_ms: float | None = None

    @property
    def predicted_per_second(self) -> float | None:
        if not self.predicted_n or not self.predicted_ms:
            return None
        return self.predicted_n * 1000.0 / self.predicted_ms

    @property
    def prompt_per_second(self) -> float | None:
        if not self.prompt_n or not self.prompt_ms:
            return None
        return self.prompt_n * 1000.0 / self.prompt_ms


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamSummary:
    """What a stream says once, near its end (keyword-only fields of ``Delta`` and
    ``ChatResult``): token usage, server timings, why it stopped, the model that answered."""

    usage: Usage | None = None
    timings: Timings | None = None
    finish_reason: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class Delta(StreamSummary):
    """One step of a stream. Most fields are empty on most deltas (built once per token)."""

    content: str = ""
    reasoning: str = ""
    tool_calls: tuple[ToolCallFragment, ...] = ()

    @property
    def is_output(self) -> bool:
        """True when the delta carries model output (what ends the first-token wait)."""
        return bool(self.content or self.reasoning or self.tool_calls)


@dataclass(frozen=True, slots=True)
class ChatResult(StreamSummary):
    """A whole answer: the stream's deltas folded together (``localllm.accumulate``)."""

    content: str = ""
    reasoning: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True, slots=True)
class PullStatus:
    """One progress record of an Ollama model download (``/api/pull``)."""

    status: str
    digest: str | None = None
    total: int | None = None
    completed: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EndpointState:
    """One server as a client sees it (``Client.endpoints_state()``). The counts are of
    this whole process: every client and model object pointing at the server."""

    url: str
    backend: str | None
    in_flight: int  # sent and not finished
    queued: int  # waiting for a slot (max_concurrency), or being placed
    max_concurrency: int | None  # None: no cap in this process
    requests: int
    failures: int  # before output: connection, 5xx, timeouts, refusals
    failures_in_row: int
    ejected_until: float | None  # time.time() when it is probed again; None: admitted
    conversations: int  # conversations placed there (routing="affinity")


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a server says about a model.

    ``context_window`` is the context the server actually serves per request (llama.cpp
    per-slot ``n_ctx``, Ollama's loaded context), not the trained maximum, which is kept
    separately as ``max_context``.
    """

    name: str
    backend: str
    context_window: int | None = None
    max_context: int | None = None
    capabilities: tuple[str, ...] = ()
    size: int | None = None
    family: str | None = None
    parameter_size: str | None = None
    quantization: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Image:
    """An image for a vision model: base64 ``data`` (with ``mime_type``) or a ``url``."""

    data: str | None = None
    url: str | None = None
    mime_type: str = "image/png"


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str = ""
    images: tuple[Image, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    reasoning: str | None = None

    @classmethod
    def system(cls, content: str) -> Message:
        return cls("system", content)

    @classmethod
    def user(cls, content: str, images: Sequence[Image] = ()) -> Message:
        return cls("user", content, images=tuple(images))

    @classmethod
    def assistant(cls, content: str = "", tool_calls: Sequence[ToolCall] = ()) -> Message:
        return cls("assistant", content, tool_calls=tuple(tool_calls))

    @classmethod
    def tool(cls, content: str, *, tool_call_id: str | None = None, name: str | None = None
             ) -> Message:
        return cls("tool", content, tool_call_id=tool_call_id, name=name)


MessageLike = Union[Message, Mapping[str, Any]]  # noqa: UP007 (runtime alias, py3.10)
