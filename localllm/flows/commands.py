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

from ..http import HttpRequest

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
class Emit:
    """Hand ``items`` (deltas, pull progress) to the caller; then, when ``then_read`` is
    set, carry it out at once (one step per streamed chunk instead of two: the hot path of
    every stream)."""

    items: list[Any]
    then_read: Read | None = None


class ReadTimedOut(Exception):
    """Raised by a transport into the flow when a wait ran out; the flow names the phase."""

