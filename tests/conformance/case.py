"""One conformance case: what a real server sends for one request, and what a correct client
must make of it.

``Reply`` is the exact answer (status, headers, body written in the given pieces, so a case
can split a record or a UTF-8 character across writes). ``Case.routes`` answers other paths the
call needs (``/api/ps`` for ``show``, ``/api/tags`` for a missing model's list). The expected
outcome is an ``Answer`` (chat), ``Failure`` (any call), ``Listing`` (models), ``Shown``
(show) or ``Vectors`` (embed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from localllm.errors import LocalLLMError

NDJSON = "application/x-ndjson"
SSE = "text/event-stream"
JSON = "application/json"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: tuple[bytes, ...] = ()
    content_type: str | None = JSON
    headers: tuple[tuple[str, str], ...] = ()
    #: "chunked" (Transfer-Encoding: chunked, one HTTP chunk per piece), "length"
    #: (Content-Length), or "close" (no length; the server closes the connection at the end).
    framing: Literal["chunked", "length", "close"] = "length"


def ndjson(*records: Mapping[str, Any] | str, status: int = 200) -> Reply:
    """An Ollama stream: one JSON object per line, one write per line (a str is sent raw)."""
    pieces = tuple((r if isinstance(r, str) else json.dumps(r) + "\n").encode() for r in records)
    return Reply(status, pieces, NDJSON, framing="chunked")


def sse(*events: Mapping[str, Any] | str, status: int = 200) -> Reply:
    """An OpenAI stream: each dict becomes ``data: {json}\\n\\n``, a str is sent raw (so
    ``"data: [DONE]\\n\\n"``, comments and odd framing are written as they are)."""
    pieces = tuple((e if isinstance(e, str) else f"data: {json.dumps(e)}\n\n").encode()
                   for e in events)
    return Reply(status, pieces, SSE, framing="chunked")


def raw(*pieces: bytes | str, status: int = 200, content_type: str | None = SSE,
        framing: Literal["chunked", "length", "close"] = "chunked",
        headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    return Reply(status, tuple(p.encode() if isinstance(p, str) else p for p in pieces),
                 content_type, headers, framing)


def answer(payload: Any, status: int = 200, content_type: str | None = JSON,
           headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """A whole JSON answer (a str is sent as it is, e.g. a plain-text Go error)."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return Reply(status, (text.encode(),), content_type, headers, "length")


DONE = "data: [DONE]\n\n"


@dataclass(frozen=True)
class Call:
    """Tool call expected in an answer: name and parsed arguments."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    content: str = ""
    reasoning: str = ""
    tool_calls: tuple[Call, ...] = ()
    finish_reason: str | None = None
    #: (prompt_tokens, completion_tokens) when the server reported them; None = not checked.
    usage: tuple[int, int] | None = None


@dataclass(frozen=True)
class Failure:
    error: type[LocalLLMError]
    #: Attributes the error must have (``n_prompt_tokens``, ``status``, ``retry_after``, …).
    fields: Mapping[str, Any] = field(default_factory=dict)
    #: Text the message must contain (case-insensitive), and text it must not.
    says: tuple[str, ...] = ()
    not_says: tuple[str, ...] = ()
    #: The error-table row that must classify it (``protocols`` tables), when one should.
    rule: str | None = None
    #: For a failure after output: the content that must be in ``.partial``.
    partial: str | None = None


@dataclass(frozen=True)
class Listing:
    names: tuple[str, ...]
    #: name → context window the listing reports (only the names given are checked).
    context: Mapping[str, int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Shown:
    context_window: int | None
    max_context: int | None = None
    capabilities: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Vectors:
    count: int
    dims: int


Expect = Answer | Failure | Listing | Shown | Vectors
Kind = Literal["chat", "models", "show", "embed"]


@dataclass(frozen=True)
class Case:
    id: str
    #: Where the wire facts come from: repository + path + version, or an issue URL.
    evidence: str
    backend: Literal["ollama", "openai"]
    reply: Reply
    expect: Expect
    call: Kind = "chat"
    model: str = "m"
    #: Other paths the call needs, answered as given (path → Reply).
    routes: Mapping[str, Reply] = field(default_factory=dict)
    #: Keyword arguments of the core call (e.g. ``num_ctx`` for show, ``tools`` for chat).
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The path the call's main request goes to."""
        if self.backend == "ollama":
            return {"chat": "/api/chat", "models": "/api/tags", "show": "/api/show",
                    "embed": "/api/embed"}[self.call]
        return {"chat": "/v1/chat/completions", "models": "/v1/models", "show": "/v1/models",
                "embed": "/v1/embeddings"}[self.call]
