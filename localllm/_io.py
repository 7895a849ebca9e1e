"""The commands a pure flow hands to a transport, and what comes back.

Flows (``_flows.py``) are generators that yield these commands; the sync and async
transports carry them out. That keeps every decision out of the I/O layer. They are
plain slotted dataclasses, treated as values but not frozen: several are built for every
request, and a frozen one costs about twice as much to build.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ConnectionFailed, LocalLLMError, ProtocolError, Timeout
from .types import Delta


@dataclass(slots=True)
class HttpRequest:
    method: str
    url: str
    json: Any = None


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", self.headers.get("content-type", "")).lower()


@dataclass(slots=True)
class Send:
    """Send a request and read the whole (bounded) body."""

    request: HttpRequest
    connect_timeout: float | None
    read_timeout: float | None


@dataclass(slots=True)
class Open:
    """Send a request and stop after the headers. On a non-2xx answer the transport reads
    the (bounded) body and closes; on 2xx the body is left to ``Read``."""

    request: HttpRequest
    connect_timeout: float | None
    read_timeout: float | None


@dataclass(slots=True)
class Read:
    """Next bytes of the open body (``b""`` at its end), waiting at most ``timeout``."""

    timeout: float | None


@dataclass(slots=True)
class Close:
    """Close the open body. ``reuse`` means it was read to the end (keep-alive)."""

    reuse: bool


@dataclass(slots=True)
class Sleep:
    seconds: float


@dataclass(slots=True)
class Emit:
    """Hand ``deltas`` to the caller; then, when ``then_read`` is set, carry it out at once
    (one step per streamed chunk instead of two: the hot path of every stream)."""

    deltas: list[Delta]
    then_read: Read | None = None


class ReadTimedOut(Exception):
    """Raised by a transport into the flow when a wait ran out; the flow names the phase."""


MAX_ERROR_BODY = 1024 * 1024


class BoundedBody:
    """A whole (non-stream) body as the transports read it: up to ``MAX_ERROR_BODY``, so
    a huge error page cannot fill memory. ``while body.add(read()): pass``."""

    __slots__ = ("_parts", "_size")

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0

    def add(self, chunk: bytes) -> bool:
        """Keep ``chunk``; True while more is wanted (not at the end, not over the limit)."""
        if not chunk:
            return False
        self._parts.append(chunk)
        self._size += len(chunk)
        return self._size <= MAX_ERROR_BODY

    def bytes(self) -> bytes:
        return b"".join(self._parts)


def unreadable_http(detail: str, url: str | None = None) -> ProtocolError:
    """An answer this client cannot read as HTTP: a non-HTTP banner (SSH, Redis…), a broken
    head, or a body whose Content-Encoding does not decode. Not retried: asking again gets
    the same answer."""
    return ProtocolError(f"Unreadable HTTP answer: {detail.strip()[:120]!r}", url=url,
                         hint="Another kind of service may listen on this port, or a proxy "
                         "mangles the answer; check the base URL and port.")


def broken_read(detail: str, hint: str = "The server closed or reset the connection."
                ) -> ConnectionFailed:
    """The connection failed under an open answer (reset, cut, broken framing). The flow
    adds url/model/backend and, once output was handed out, turns it into
    ``StreamInterrupted`` with the partial answer."""
    return ConnectionFailed(f"Connection broke while reading: {detail}", hint=hint)


def detached(exc: BaseException) -> BaseException:
    """A transport's typed error without the third-party exception it was raised from.

    ``raise ... from None`` only hides the original in tracebacks; it stays reachable as
    ``__context__``, and aiohttp's and requests' exceptions carry the request, with its
    ``Authorization`` header. Each transport passes every error through here before
    handing it to a flow.
    """
    if isinstance(exc, (LocalLLMError, ReadTimedOut)):
        exc.__context__ = None
        exc.__cause__ = None
    return exc


def send(request: HttpRequest, connect: float | None, read: float | None
         ) -> Generator[Send, HttpResponse, HttpResponse]:
    """Flow step: one request/response exchange, with a named timeout error."""
    try:
        return (yield Send(request, connect, read))
    except ReadTimedOut:
        raise Timeout(f"No answer to {request.method} {request.url} within {read}s",
                      url=request.url, hint="The server is busy or stuck; raise "
                      "Timeouts(first_token=...) if it is just slow.") from None
