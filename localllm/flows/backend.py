"""Which API a server speaks: asked once per URL, remembered in ``Endpoints``."""

from __future__ import annotations

from ..errors import LocalLLMError
from ..http import HttpResponse
from ..protocols import probe
from ..routing import Endpoints
from ..types import Timeouts
from .commands import Flow, exchange


def detect(base: str, connect: float | None, read: float | None) -> Flow:
    """The backend answering at ``base``, or ``ProtocolError`` when none does (connection
    errors propagate: nothing answers there at all)."""
    known = probe.answered_by_url(base)
    if known is not None:
        return known
    last: HttpResponse | None = None
    for backend, request in probe.questions(base):
        last = yield from exchange(request, connect, read)
        if probe.answers_as(backend, last):
            return backend
    raise probe.not_detected(base, last)


def backend_of(endpoints: Endpoints, url: str, timeouts: Timeouts) -> Flow:
    """Configured, detected earlier, or detected now (and remembered)."""
    known = endpoints.known_backend(url)
    if known is None:
        known = yield from detect(url, timeouts.connect, timeouts.first_token)
        endpoints.backends[url] = known
    return known


def detect_quietly(base: str, connect: float, read: float) -> Flow:
    """``detect`` for discovery and doctor: None instead of an error."""
    try:
        return (yield from detect(base, connect, read))
    except LocalLLMError:
        return None
