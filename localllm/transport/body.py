"""Reading a whole (non-stream) body without letting it fill memory."""

from __future__ import annotations

MAX_WHOLE_BODY = 1024 * 1024


class BoundedBody:
    """A whole body as the transports read it: up to ``MAX_WHOLE_BODY``, so a huge error
    page cannot fill memory. ``while body.add(read()): pass``."""

    __slots__ = ("_parts", "_size")

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0

    def add(self, chunk: bytes) -> bool:
        """Keep ``chunk``; True while more is wanted (not at the end, not over the limit)."""
        if not chunk:
            return False
        self._parts.append(chunk)
        self._size += len(chunk)
        return self._size <= MAX_WHOLE_BODY

    def bytes(self) -> bytes:
        return b"".join(self._parts)
