"""The commands a flow hands to a transport, and the one signal that comes back.

Flows are generators that yield these; the blocking and the asyncio transports carry them
out, so every decision stays out of the I/O layer. They are plain slotted dataclasses,
treated as values but not frozen: several are built for every request, and a frozen one
costs about twice as much to build.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from ..errors import Timeout
from ..http import HttpRequest, HttpResponse
from ..routing.slots import Slots

#: A flow: yields commands, is sent their results, returns its answer.
Flow = Generator[Any, Any, Any]


@dataclass(slots=True)
class Exchange:
    """Send a request and read the whole (bounded) body: answered with an HttpResponse."""

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
class Acquire:
    """Wait for one of ``slots``' places: answered True when taken, False when ``timeout``
    ran out (blocking on an event, or awaiting on the running loop)."""

    slots: Slots
    timeout: float | None


@dataclass(slots=True)
class Emit:
    """Hand ``items`` (deltas, pull progress) to the caller; then, when ``then_read`` is
    set, carry it out at once (one step per streamed chunk instead of two: the hot path of
    every stream)."""

    items: list[Any]
    then_read: Read | None = None


class ReadTimedOut(Exception):
    """Raised by a transport into the flow when a wait ran out; the flow names the phase."""


def exchange(request: HttpRequest, connect: float | None, read: float | None
             ) -> Generator[Exchange, HttpResponse, HttpResponse]:
    """Flow step: one request/response exchange, with a named timeout error."""
    try:
        return (yield Exchange(request, connect, read))
    except ReadTimedOut:
        raise Timeout(f"No answer to {request.method} {request.url} within {read}s",
                      url=request.url, hint="The server is busy or stuck; raise "
                      "Timeouts(first_token=...) if it is just slow.") from None
