"""The line buffer both stream decoders share: bytes split anywhere in, whole lines out,
with a bound on how long one line may grow."""

from __future__ import annotations

from ..errors import ProtocolError


class LineBuffer:
    """Feed bytes; get the complete ``\\n``-terminated lines (without the ``\\n``). An
    unfinished line is kept, appended to in place (linear in its size); any line longer
    than ``max_line_bytes`` raises ``ProtocolError`` instead of growing memory."""

    __slots__ = ("_buffer", "_what", "max_line_bytes")

    def __init__(self, max_line_bytes: int, what: str) -> None:
        self.max_line_bytes = max_line_bytes
        self._what = what  # "NDJSON" / "SSE", for the error message
        self._buffer = bytearray()

    def split(self, data: bytes) -> list[bytes]:
        if b"\n" not in data:  # a line still arriving
            self._buffer += data
            if len(self._buffer) > self.max_line_bytes:
                self.too_long(len(self._buffer))
            return []
        if self._buffer:
            data = bytes(self._buffer) + data
        lines = data.split(b"\n")
        self._buffer = bytearray(lines.pop())
        if len(self._buffer) > self.max_line_bytes:
            self.too_long(len(self._buffer))
        for line in lines:
            if len(line) > self.max_line_bytes:
                self.too_long(len(line))
        return lines

    @property
    def pending(self) -> int:
        """Bytes of an unfinished line held back."""
        return len(self._buffer)

    def take_rest(self) -> bytes:
        """End of body: the unfinished line, if any (the buffer is emptied)."""
        rest, self._buffer = bytes(self._buffer), bytearray()
        return rest

    def too_long(self, size: int) -> None:
        raise ProtocolError(
            f"{self._what} line longer than {self.max_line_bytes} bytes (saw {size})",
            hint="Raise max_line_bytes if the server really sends lines this long.")
