"""Which endpoint to try next and how long to wait: retries and failover, with no I/O."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..errors import LocalLLMError, ServerError

_SHARED_RNG = random.Random()  # jitter needs no seed of its own per call

MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 60.0


@dataclass(slots=True)
class Attempt:
    endpoint: str
    delay: float


class AttemptPlan:
    """Rounds over the endpoints in the routing's order (``Endpoints.place``).

    Every endpoint is tried once per round; a round is repeated ``max_retries`` times.
    Only retryable errors move on (the caller guarantees nothing was emitted yet); going
    back to an endpoint that failed waits for its ``Retry-After`` or an exponential backoff
    with jitter.
    """

    def __init__(self, order: Sequence[str], max_retries: int,
                 rng: random.Random | None = None) -> None:
        self._order = list(order)
        self._rounds = max(0, max_retries) + 1
        self._rng = rng or _SHARED_RNG  # seeding a new Random costs ~10 µs per call
        self._last: dict[str, LocalLLMError] = {}
        self.last_error: LocalLLMError | None = None

    def __iter__(self) -> Iterator[Attempt]:
        for round_no in range(self._rounds):
            for endpoint in self._order:
                yield Attempt(endpoint, self._delay(endpoint, round_no) if self._last else 0.0)
        if self.last_error is not None:
            raise self.last_error

    def failed(self, endpoint: str, error: LocalLLMError) -> None:
        """Record a failure; raise it at once when it must not be retried."""
        if not error.retryable:
            raise error
        self._last[endpoint] = error
        self.last_error = error

    def _delay(self, endpoint: str, round_no: int) -> float:
        error = self._last.get(endpoint)
        if error is None:
            return 0.0
        if isinstance(error, ServerError) and error.retry_after is not None:
            return min(error.retry_after, MAX_RETRY_AFTER)
        base = min(MAX_BACKOFF, 0.25 * 2.0 ** (round_no - 1))
        return base * (0.5 + self._rng.random() / 2)
