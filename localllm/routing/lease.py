"""``Lease``: one request's place at one server, from placement until it ends.

It counts the request in the server's load (queued until admitted, then in flight), holds
the slot it took, and gives everything back exactly once — whether the stream completed,
failed, or was abandoned by a ``break`` or a cancelled task (the flow's ``finally``).
"""

from __future__ import annotations

from .servers import LOCK, Server
from .slots import Slots


class Lease:
    __slots__ = ("_slot", "admitted", "probe", "released", "server")

    def __init__(self, server: Server, probe: bool) -> None:
        """Call under ``LOCK``: counts the request as queued at ``server``."""
        self.server = server
        self.probe = probe
        self.admitted = False
        self.released = False
        self._slot: Slots | None = None
        server.requests += 1
        server.queued += 1

    def admit(self, slot: Slots | None) -> None:
        """The request may be sent now, holding one of ``slot``'s places if given."""
        with LOCK:
            self._slot = slot
            self.admitted = True
            self.server.queued -= 1
            self.server.active += 1

    def resolved(self) -> None:
        """The probe's outcome is known (recorded by the caller): nothing to undo later."""
        self.probe = False

    def release(self) -> None:
        if self.released:
            return
        with LOCK:
            self.released = True
            server = self.server
            if self.admitted:
                server.active -= 1
            else:
                server.queued -= 1
            if self.probe:
                server.health.probe_abandoned()
        if self._slot is not None:
            self._slot.give_back()
