"""``Endpoints``: the servers of one client and what this process learned about each.

Flows are given this object; it holds no sockets. Resolving ``None`` (discovery) and
``"embedded"`` (starting the bundled server) blocks, so the async client does it in a
thread before its first flow runs. What is true of a server whoever asks — its load,
health, slots and conversations — lives in the process-wide ``servers`` registry; this
object holds the client's own view: its URLs, routing and limits.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from typing import Literal, Union

from ..discovery import EMBEDDED, discover
from ..errors import LocalLLMError, QueueTimeout, ServerError
from ..secrets import split_userinfo
from ..settings import AUTO, BACKENDS
from ..types import EndpointState
from . import affinity, strategies
from .health import ejects
from .lease import Lease
from .servers import LOCK, Server, server_for
from .slots import Slots

logger = logging.getLogger("localllm.routing")

#: A configured URL still to be found by ``localllm.discovery``.
DISCOVER = "auto"
#: ``max_concurrency``: requests at once per server (``"auto"``: the server's slots).
Concurrency = Union[int, Literal["auto"], None]  # noqa: UP007 (runtime alias, py3.10)
DEFAULT_SESSION_HEADER = "X-Session-ID"
_RNG = random.Random()


class Endpoints:
    """Configured URLs, the one that last worked (``preferred``), each server's backend
    once known, and which servers lack Ollama's ``/api/chat``. A URL's userinfo is taken out
    here and kept in ``logins`` (sent as Basic auth), so no URL kept or shown holds it."""

    __slots__ = ("_configured", "_resolved", "_servers", "backends", "chat_missing",
                 "forced_backend", "logins", "max_concurrency", "preferred", "routing",
                 "session_header")

    def __init__(self, base_url: str | Sequence[str] | None, backend: str = AUTO, *,
                 routing: str = "failover", max_concurrency: Concurrency = None,
                 session_header: str | None = DEFAULT_SESSION_HEADER) -> None:
        if backend not in (AUTO, *BACKENDS):
            raise ValueError(f"backend must be 'auto', 'ollama' or 'openai', not {backend!r}")
        if routing not in strategies.ROUTINGS:
            raise ValueError(f"routing must be one of {', '.join(strategies.ROUTINGS)}, "
                             f"not {routing!r}")
        if max_concurrency is not None and max_concurrency != "auto" and (
                isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int)
                or max_concurrency < 1):
            raise ValueError("max_concurrency must be a positive int, 'auto' or None, not "
                             f"{max_concurrency!r}")
        self.routing = routing
        self.max_concurrency = max_concurrency
        self.session_header = session_header
        self._servers: list[Server] | None = None
        urls = [base_url] if isinstance(base_url, str) or base_url is None else list(base_url)
        if not urls:
            raise ValueError("base_url list is empty")
        self.logins: dict[str, tuple[str, str]] = {}
        self._configured = [self._without_login(u) if u else DISCOVER for u in urls]
        self._resolved: list[str] | None = None
        self.forced_backend = backend
        self.preferred = 0
        self.backends: dict[str, str] = {}
        self.chat_missing: set[str] = set()

    def _without_login(self, url: str) -> str:
        clean, login = split_userinfo(url)
        if login is not None:
            self.logins[clean.rstrip("/")] = login
        return clean

    @property
    def configured(self) -> list[str]:
        """The URLs as given (``"auto"`` for one to discover)."""
        return list(self._configured)

    @property
    def needs_resolving(self) -> bool:
        """True while an endpoint still needs blocking work (discovery, embedded start)."""
        return self._resolved is None and any(u in (DISCOVER, EMBEDDED)
                                              for u in self._configured)

    def resolve(self) -> list[str]:
        """Blocking: discover the default endpoint and start the embedded server if needed."""
        if self._resolved is not None:
            return self._resolved
        urls = []
        for url in self._configured:
            if url == DISCOVER:
                found = discover()
                url = self._without_login(found.url)
                if found.backend != AUTO and found.url != EMBEDDED:
                    self.backends.setdefault(found.url, found.backend)
            if url == EMBEDDED:
                from ..server import shared_server

                url = shared_server().url
            urls.append(url.rstrip("/"))
        self._resolved = urls
        return urls

    @property
    def urls(self) -> list[str]:
        return self._resolved if self._resolved is not None else self.resolve()

    @property
    def first(self) -> str:
        """The preferred URL (the last that worked), for single-server operations."""
        return self.urls[self.preferred]

    @property
    def servers(self) -> list[Server]:
        """The shared state of each URL, in the same order (the first use sets the limits)."""
        if self._servers is None:
            servers = [server_for(u) for u in self.urls]
            if isinstance(self.max_concurrency, int):
                for server in servers:
                    self.set_capacity(server, self.max_concurrency)
            self._servers = servers
        return self._servers

    def place(self, key: str | None) -> tuple[list[str], Lease]:
        """Every URL in the order this call tries them, and the lease at the first.
        ``key``: the conversation (``affinity`` only)."""
        urls, servers = self.urls, self.servers
        with LOCK:
            now = time.monotonic()
            sticky = None
            if key is not None:
                on = affinity.placed_on(key)
                sticky = urls.index(on) if on in urls else None
            ranked = strategies.order(self.routing, urls, servers, now, _RNG,
                                      self.preferred, sticky)
            first = servers[ranked[0]]
            lease = Lease(first, first.health.placed(now))
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("routing=%s key=%s -> %s (load %s; order %s)", self.routing,
                             key, urls[ranked[0]], [s.load for s in servers],
                             [urls[i] for i in ranked])
        return [urls[i] for i in ranked], lease

    def lease(self, url: str) -> Lease:
        """A lease at ``url`` for a retry or failover attempt."""
        server = self.servers[self.urls.index(url)]
        with LOCK:
            return Lease(server, server.health.placed(time.monotonic()))

    def set_capacity(self, server: Server, capacity: int) -> Slots:
        """Cap ``server`` at ``capacity`` requests at once, for the whole process."""
        with LOCK:
            slots = server.slots
            if slots is None:
                slots = server.slots = Slots(capacity)
                return slots
        if slots.capacity != capacity:
            logger.debug("max_concurrency of %s: %d -> %d (shared by every client of this "
                         "process)", server.key, slots.capacity, capacity)
            slots.resize(capacity)
        return slots

    def succeeded(self, url: str, lease: Lease, key: str | None) -> None:
        """``url`` produced output: readmit it, prefer it (failover is sticky), and keep
        the conversation there."""
        with LOCK:
            lease.server.health.succeeded()
            lease.resolved()
        if len(self._configured) > 1:  # one endpoint: always preferred
            self.preferred = self.urls.index(url)
        if key is not None:
            affinity.remember(key, url)

    def failed(self, url: str, lease: Lease, error: LocalLLMError) -> None:
        """A failure before output: eject a server that cannot serve; one that answered
        (a 4xx) is alive."""
        if isinstance(error, QueueTimeout):  # busy, not down: nothing reached it
            return
        with LOCK:
            server = lease.server
            server.failures += 1
            lease.resolved()
            if not ejects(error):
                server.health.succeeded()
                return
            retry_after = error.retry_after if isinstance(error, ServerError) else None
            cooldown = server.health.failed(time.monotonic(), retry_after)
        logger.debug("%s ejected for %.1fs after %s (%d in a row)", url, cooldown,
                     type(error).__name__, server.health.failures_in_row)

    def state(self) -> list[EndpointState]:
        """A snapshot per URL: load, limits, counters and health."""
        out = []
        with LOCK:
            wall = time.time() - time.monotonic()
            for url, server in zip(self.urls, self.servers, strict=True):
                health = server.health
                out.append(EndpointState(
                    url=url, backend=self.known_backend(url), in_flight=server.active,
                    queued=server.queued,
                    max_concurrency=server.slots.capacity if server.slots else None,
                    requests=server.requests, failures=server.failures,
                    failures_in_row=health.failures_in_row,
                    ejected_until=None if health.ejected_until is None
                    else health.ejected_until + wall,
                    conversations=server.conversations))
        return out

    def known_backend(self, url: str) -> str | None:
        """The backend without I/O: configured, or detected earlier."""
        if self.forced_backend != AUTO:
            return self.forced_backend
        return self.backends.get(url)

    def learn_chat_missing(self, url: str) -> bool:
        """Record that ``url`` has no ``/api/chat``; True the first time only."""
        if url in self.chat_missing:
            return False
        self.chat_missing.add(url)
        return True
