"""Deadlines of one call, and the timeout error each phase raises when its wait runs out.

Transports only report that a wait ran out (``ReadTimedOut``); which limit that was — the
first token, the idle gap, the total — is known here, so the typed error is named here.
"""

from __future__ import annotations

import time

from ..errors import FirstTokenTimeout, IdleTimeout, LocalLLMError, QueueTimeout, TotalTimeout
from ..types import Timeouts


class Clock:
    """Per-call deadlines: first output, idle gap, and total."""

    __slots__ = ("first_deadline", "timeouts", "total_deadline")

    def __init__(self, timeouts: Timeouts) -> None:
        now = time.monotonic()
        self.timeouts = timeouts
        self.total_deadline = now + timeouts.total if timeouts.total else None
        self.first_deadline = now + timeouts.first_token if timeouts.first_token else None

    def new_attempt(self) -> None:
        """Each later attempt gets the whole first-token budget too; ``total`` spans all."""
        if self.timeouts.first_token:
            self.first_deadline = time.monotonic() + self.timeouts.first_token

    def wait(self, got_output: bool) -> tuple[float | None, type[LocalLLMError]]:
        """How long the next read may wait, and which error it is if it runs out."""
        kind: type[LocalLLMError] = IdleTimeout if got_output else FirstTokenTimeout
        limit = self.timeouts.idle if got_output else None
        now = time.monotonic()
        if not got_output and self.first_deadline is not None:
            limit = self.first_deadline - now
        if self.total_deadline is not None:
            left = self.total_deadline - now
            if limit is None or left < limit:
                limit, kind = left, TotalTimeout
        return limit, kind

    def queue_wait(self) -> tuple[float | None, type[LocalLLMError]]:
        """How long a request may wait for a slot, and which error it is if it runs out."""
        limit: float | None = self.timeouts.queue
        kind: type[LocalLLMError] = QueueTimeout
        if self.total_deadline is not None:
            left = self.total_deadline - time.monotonic()
            if limit is None or left < limit:
                limit, kind = max(0.0, left), TotalTimeout
        return limit, kind

    def expired(self, kind: type[LocalLLMError]) -> LocalLLMError:
        """The error for a wait of ``kind`` that ran out."""
        t = self.timeouts
        if kind is FirstTokenTimeout:
            return FirstTokenTimeout(
                f"No output within first_token={t.first_token}s", hint="The model may be "
                "loading or the server busy; raise Timeouts(first_token=...).")
        if kind is IdleTimeout:
            return IdleTimeout(
                f"Stream stalled: nothing for idle={t.idle}s after output began",
                hint="The server stopped sending; raise Timeouts(idle=...) for slow machines.")
        if kind is QueueTimeout:
            return QueueTimeout(
                f"No free slot within queue={t.queue}s: the server is at max_concurrency",
                hint="Raise Timeouts(queue=...) or max_concurrency, or add servers.")
        return TotalTimeout(f"Request exceeded total={t.total}s",
                            hint="Raise Timeouts(total=...) or lower max_tokens.")

