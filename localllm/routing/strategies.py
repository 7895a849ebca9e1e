"""Where a request goes: the order in which a call tries its client's servers.

Pure: given the servers' states (read under the routing lock), the strategy and, for
``affinity``, the server the conversation was on, return every URL once, best first. The
first is the placement; the rest are where retries and failover go. Servers in their
ejection cooldown always come last (soonest readmitted first): tried only when every
other server failed too.

- ``failover``: the configured order, starting at the last server that worked (sticky).
- ``least_busy``: the fewer requests in flight from this process, the better; the first
  is chosen by the power of two choices (two servers at random, the less busy one; a tie
  at random), which spreads load without herding onto one idle box.
- ``affinity``: the conversation's server, as long as it is admitted, has a free slot and
  is within the bounded load (at most ``BOUND`` times the mean load after placing this
  one, plus one); otherwise — and for a new conversation — the least busy server, ties going to the
  one holding the fewest conversations, so placement stays balanced. (The bound has one
  request of slack, so a single request in flight never moves a conversation: a move
  costs the whole prompt again.)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

from .servers import Server

Routing = Literal["failover", "least_busy", "affinity"]
ROUTINGS: tuple[str, ...] = ("failover", "least_busy", "affinity")

#: Bounded-load factor for ``affinity`` (consistent hashing with bounded loads, Mirrokni
#: et al. 2018): a conversation stays while its server's load ≤ BOUND × mean + 1.
BOUND = 1.5


def order(routing: str, urls: Sequence[str], servers: Sequence[Server], now: float,
          rng: random.Random, preferred: int = 0, sticky: int | None = None) -> list[int]:
    """Indexes into ``urls``, best first (see the module docstring)."""
    n = len(urls)
    if n == 1:
        return [0]
    ready = [i for i in range(n) if servers[i].health.usable(now)]
    waiting = sorted((i for i in range(n) if i not in ready),
                     key=lambda i: servers[i].health.ejected_until or 0.0)
    if routing == "failover":
        rotated = [(preferred + k) % n for k in range(n)]
        return [i for i in rotated if i in ready] + waiting
    if not ready:
        return waiting
    rest = _by_load(ready, servers, rng)
    if routing == "affinity":
        first = _affine(sticky, ready, servers) if sticky is not None else None
        if first is None:
            first = min(rest, key=lambda i: (servers[i].saturated, servers[i].load,
                                             servers[i].conversations))
    else:
        first = _two_choices(rest, servers, rng)
    return [first] + [i for i in rest if i != first] + waiting


def _by_load(ready: list[int], servers: Sequence[Server], rng: random.Random) -> list[int]:
    """Free slots first, then fewer in flight; ties in random order."""
    shuffled = list(ready)
    rng.shuffle(shuffled)
    return sorted(shuffled, key=lambda i: (servers[i].saturated, servers[i].load))


def _two_choices(candidates: list[int], servers: Sequence[Server], rng: random.Random
                 ) -> int:
    """Two random servers among those with free slots (all when none has); the less busy."""
    free = [i for i in candidates if not servers[i].saturated] or candidates
    if len(free) == 1:
        return free[0]
    a, b = rng.sample(free, 2)
    if servers[a].load != servers[b].load:
        return a if servers[a].load < servers[b].load else b
    return a  # rng.sample's order is already random


def _affine(sticky: int, ready: list[int], servers: Sequence[Server]) -> int | None:
    """The conversation's server, unless ejected, saturated or over the bounded load."""
    if sticky not in ready or servers[sticky].saturated:
        return None
    total = sum(servers[i].load for i in ready)
    bound = BOUND * (total + 1) / len(ready) + 1
    return sticky if servers[sticky].load + 1 <= bound else None
