"""``Health``: whether a server gets new requests, learned from how its last ones went.

A server that failed before its first token is ejected for a cooldown that doubles with
each failure in a row (``BASE_COOLDOWN`` up to ``MAX_COOLDOWN``; a longer ``Retry-After``
wins). When the cooldown is over, one request is let through as a probe: its first token
readmits the server, its failure ejects it again for longer. Until then the other servers
take the traffic, so a dead box costs one refused connection per cooldown, not one per call.
"""

from __future__ import annotations

from ..errors import ConnectionFailed, LocalLLMError, QueueTimeout, ServerError, Timeout

BASE_COOLDOWN = 1.0
MAX_COOLDOWN = 60.0


def ejects(error: LocalLLMError) -> bool:
    """Failures that say the server cannot serve now (not that the request was wrong)."""
    return isinstance(error, (ConnectionFailed, Timeout, ServerError)) \
        and not isinstance(error, QueueTimeout)


class Health:
    """Ejection state of one server; the caller holds the routing lock."""

    __slots__ = ("ejected_until", "failures_in_row", "probing")

    def __init__(self) -> None:
        self.failures_in_row = 0
        self.ejected_until: float | None = None  # time.monotonic()
        self.probing = False  # a request placed after the cooldown has not resolved yet

    def usable(self, now: float) -> bool:
        """Admitted, or its cooldown is over and no probe is out."""
        return self.ejected_until is None or (now >= self.ejected_until and not self.probing)

    def placed(self, now: float) -> bool:
        """A request goes here; True when it is the probe of an ejected server."""
        if self.ejected_until is not None and now >= self.ejected_until and not self.probing:
            self.probing = True
            return True
        return False

    def succeeded(self) -> None:
        self.failures_in_row = 0
        self.ejected_until = None
        self.probing = False

    def failed(self, now: float, retry_after: float | None = None) -> float:
        """Eject; returns the cooldown in seconds."""
        self.failures_in_row += 1
        cooldown = min(MAX_COOLDOWN, BASE_COOLDOWN * 2.0 ** (self.failures_in_row - 1))
        if retry_after is not None:
            cooldown = max(cooldown, min(retry_after, MAX_COOLDOWN))
        self.ejected_until = now + cooldown
        self.probing = False
        return cooldown

    def probe_abandoned(self) -> None:
        """The probe ended with neither output nor a server failure (cancelled, a 4xx):
        the next request may probe."""
        self.probing = False
