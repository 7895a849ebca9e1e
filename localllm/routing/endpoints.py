"""``Endpoints``: the servers of one client and what this process learned about each.

Flows are given this object; it holds no sockets. Resolving ``None`` (discovery) and
``"embedded"`` (starting the bundled server) blocks, so the async client does it in a
thread before its first flow runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..discovery import EMBEDDED, discover
from ..secrets import split_userinfo
from ..settings import AUTO, BACKENDS

#: A configured URL still to be found by ``localllm.discovery``.
DISCOVER = "auto"


class Endpoints:
    """Configured URLs, the one that last worked (``preferred``), each server's backend
    once known, and which servers lack Ollama's ``/api/chat``. A URL's userinfo is taken out
    here and kept in ``logins`` (sent as Basic auth), so no URL kept or shown holds it."""

    __slots__ = ("_configured", "_resolved", "backends", "chat_missing", "forced_backend",
                 "logins", "preferred")

    def __init__(self, base_url: str | Sequence[str] | None, backend: str = AUTO) -> None:
        if backend not in (AUTO, *BACKENDS):
            raise ValueError(f"backend must be 'auto', 'ollama' or 'openai', not {backend!r}")
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
        """Where the next request goes first."""
        return self.urls[self.preferred]

    def mark_healthy(self, url: str) -> None:
        """``url`` produced output: prefer it from now on (failover is sticky)."""
        if self.preferred or len(self._configured) > 1:  # one endpoint: always preferred
            self.preferred = self.urls.index(url)

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
