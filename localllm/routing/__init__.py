"""Where requests go: the endpoint state every flow is given, and what the process knows
about each server (load, health, slots, conversations)."""

from .endpoints import Endpoints

__all__ = ["Endpoints", "forget_servers"]


def forget_servers() -> None:
    """Forget every server's counters, health and conversations (a fresh start, e.g.
    between tests that reuse one URL)."""
    from . import affinity, servers

    with servers.LOCK:
        servers.forget_all()
        affinity.forget_all()
