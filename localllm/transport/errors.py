"""The typed errors both transports raise, so each transport's exception table only
decides *which* one a third-party exception is."""

from __future__ import annotations

from ..errors import ConnectionFailed, ConnectTimeout, LocalLLMError, ProtocolError
from ..flows.commands import ReadTimedOut


def connect_timeout(url: str, seconds: float | None) -> ConnectTimeout:
    return ConnectTimeout(f"Could not connect within {seconds}s", url=url,
                          hint="Is the server up and reachable?")


def unreachable(url: str, reason: str) -> ConnectionFailed:
    return ConnectionFailed(f"Could not reach the server: {reason}", url=url,
                            hint="Start the server, or check host and port.")


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
