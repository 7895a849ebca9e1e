"""``Server``: what this process knows about one server, shared by every client.

Two ``Client`` objects, an ``AsyncClient`` and a LangChain model pointing at the same URL
see one in-flight count, one health record and one slot limiter; so ``least_busy``
counts every request of the process, and ``max_concurrency`` caps them all together.
Every field is read and written under ``LOCK`` (one lock: each operation is a few field
updates).
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from .health import Health
from .slots import Slots

LOCK = threading.RLock()


class Server:
    __slots__ = ("active", "conversations", "failures", "health", "key", "queued",
                 "requests", "slots")

    def __init__(self, key: str) -> None:
        self.key = key
        self.active = 0  # sent (or sending), not finished
        self.queued = 0  # waiting for one of its slots
        self.requests = 0
        self.failures = 0
        self.conversations = 0  # affinity keys placed here
        self.health = Health()
        self.slots: Slots | None = None

    @property
    def load(self) -> int:
        return self.active + self.queued

    @property
    def saturated(self) -> bool:
        return self.slots is not None and self.load >= self.slots.capacity


_SERVERS: dict[str, Server] = {}


def server_key(url: str) -> str:
    """One key per server: ``http://h:8080``, ``http://h:8080/`` and ``http://h:8080/v1``
    are the same box."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[:-3]
    return f"{parts.scheme}://{parts.netloc.lower()}{path}"


def server_for(url: str) -> Server:
    key = server_key(url)
    found = _SERVERS.get(key)
    if found is None:
        with LOCK:
            found = _SERVERS.setdefault(key, Server(key))
    return found


def forget_all() -> None:
    """Drop every server's counters and health (``routing.forget_servers``)."""
    with LOCK:
        _SERVERS.clear()
