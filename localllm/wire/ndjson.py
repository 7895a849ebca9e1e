"""Newline-delimited JSON (Ollama streams): one JSON value per ``\\n``-terminated line."""

from __future__ import annotations

from typing import Any

import orjson

from ..errors import ProtocolError
from ._json import loads

_MAX_DEFAULT = 8 * 1024 * 1024


def _excerpt(line: bytes) -> str:
    return line[:200].decode("utf-8", "replace")


class NDJSONDecoder:
    """Feed bytes split anywhere; get parsed objects. Malformed or oversized lines raise.

    A malformed line is never skipped: silently dropping a line can drop the final
    ``done`` record or an ``error`` record, turning a failure into a short answer.
    """

    __slots__ = ("_buffer", "max_line_bytes")

    def __init__(self, max_line_bytes: int = _MAX_DEFAULT) -> None:
        self.max_line_bytes = max_line_bytes
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        if not self._buffer and data.endswith(b"\n") and data.count(b"\n") == 1:
            # the common case: one whole line per read (a server flushes each record)
            if len(data) - 1 > self.max_line_bytes:  # the limit is on the line, not its "\n"
                self._too_long(len(data) - 1)
            if not data.strip():
                return []
            try:  # orjson straight away; what it refuses goes the way that names the fault
                return [orjson.loads(data)]
            except ValueError:
                return [self._parse(data)]
        if b"\n" not in data:  # a line still arriving: append only (linear in its size)
            self._buffer += data
            if len(self._buffer) > self.max_line_bytes:
                self._too_long(len(self._buffer))
            return []
        if self._buffer:
            data = bytes(self._buffer) + data
        lines = data.split(b"\n")
        self._buffer = bytearray(lines.pop())
        if len(self._buffer) > self.max_line_bytes:
            self._too_long(len(self._buffer))
        out = []
        for line in lines:
            if len(line) > self.max_line_bytes:
                self._too_long(len(line))
            if line.strip():
                out.append(self._parse(line))
        return out

    def close(self) -> list[Any]:
        """End of body: a last line without a newline still counts if it is whole JSON."""
        rest, self._buffer = bytes(self._buffer), bytearray()
        return [self._parse(rest)] if rest.strip() else []

    @property
    def pending(self) -> int:
        """Bytes of an unfinished line held back."""
        return len(self._buffer)

    def _parse(self, line: bytes) -> Any:
        try:
            return loads(line)
        except ValueError:
            raise ProtocolError(
                f"Malformed JSON line in NDJSON stream: {_excerpt(line)!r}",
                body=_excerpt(line),
                hint="The server sent something that is not newline-delimited JSON; "
                "check that the URL points at an Ollama-compatible server.",
            ) from None

    def _too_long(self, size: int) -> None:
        raise ProtocolError(
            f"NDJSON line longer than {self.max_line_bytes} bytes (saw {size})",
            hint="Raise max_line_bytes if the server really sends lines this long.",
        )
