"""Newline-delimited JSON (Ollama streams): one JSON value per ``\\n``-terminated line."""

from __future__ import annotations

from typing import Any

import orjson

from ..errors import ProtocolError
from .jsonparse import loads
from .lines import LineBuffer

_MAX_DEFAULT = 8 * 1024 * 1024


def _excerpt(line: bytes) -> str:
    return line[:200].decode("utf-8", "replace")


class NDJSONDecoder:
    """Feed bytes split anywhere; get parsed objects. Malformed or oversized lines raise.

    A malformed line is never skipped: silently dropping a line can drop the final
    ``done`` record or an ``error`` record, turning a failure into a short answer.
    """

    __slots__ = ("_lines",)

    def __init__(self, max_line_bytes: int = _MAX_DEFAULT) -> None:
        self._lines = LineBuffer(max_line_bytes, "NDJSON")

    @property
    def max_line_bytes(self) -> int:
        return self._lines.max_line_bytes

    def feed(self, data: bytes) -> list[Any]:
        if self.is_one_whole_line(data):
            return self.one_whole_line(data)
        out = []
        for line in self._lines.split(data):
            if line.strip():
                out.append(self._parse(line))
        return out

    def is_one_whole_line(self, data: bytes) -> bool:
        """True for the common read: exactly one whole line and nothing held back (a
        server flushes each record)."""
        return not self._lines.pending and data.endswith(b"\n") and data.count(b"\n") == 1

    def one_whole_line(self, data: bytes) -> list[Any]:
        """The fast path of ``feed`` for such a read: no buffer work, orjson straight away
        (what it refuses goes the way that names the fault). Gives what ``feed`` would."""
        if len(data) - 1 > self._lines.max_line_bytes:  # the limit is on the line, not "\n"
            self._lines.too_long(len(data) - 1)
        if not data.strip():
            return []
        try:
            return [orjson.loads(data)]
        except ValueError:
            return [self._parse(data[:-1])]

    def close(self) -> list[Any]:
        """End of body: a last line without a newline still counts if it is whole JSON."""
        rest = self._lines.take_rest()
        return [self._parse(rest)] if rest.strip() else []

    @property
    def pending(self) -> int:
        """Bytes of an unfinished line held back."""
        return self._lines.pending

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
