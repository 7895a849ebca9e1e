"""Server-sent events as the WHATWG HTML standard defines them (the OpenAI stream framing)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ProtocolError
from .lines import LineBuffer

_MAX_DEFAULT = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Feed bytes split anywhere; get complete events.

    Handles LF, CRLF and lone CR line ends (also a CRLF split across two feeds), comments
    (``:`` lines, keep-alive pings), multi-line ``data`` joined with ``\\n``, and the
    ``event``/``id``/``retry`` fields, a leading BOM, and llama.cpp's old ``error:`` lines
    (an ``error`` event; the spec would drop them, and the error with them). Lines longer
    than ``max_line_bytes`` raise ``ProtocolError`` instead of growing memory without bound.
    """

    __slots__ = ("_cr_pending", "_data", "_event", "_lines", "_retry", "_started", "last_id")

    def __init__(self, max_line_bytes: int = _MAX_DEFAULT) -> None:
        self._lines = LineBuffer(max_line_bytes, "SSE")
        self._cr_pending = False
        self._data: list[bytes] = []
        self._event: str | None = None
        self._retry: int | None = None
        self._started = False  # a UTF-8 BOM may open the stream (WHATWG: it is skipped)
        self.last_id: str | None = None

    @property
    def max_line_bytes(self) -> int:
        return self._lines.max_line_bytes

    def single_data(self, data: bytes) -> bytes | None:
        """The fast path of ``feed``: the ``data`` bytes when ``data`` is exactly one whole
        one-line ``message`` event and nothing is pending (how servers flush each token),
        else None. Changes no state; ``feed`` gives the same event either way."""
        if (not self._lines.pending and not self._data and not self._cr_pending
                and self._event is None and data.startswith(b"data:")
                and data.find(b"\n") == len(data) - 2 and data.endswith(b"\n\n")
                and len(data) - 2 <= self._lines.max_line_bytes and b"\r" not in data):
            return data[6:-2] if data[5:6] == b" " else data[5:-2]
        return None

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        value = self.single_data(data)
        if value is not None:
            return [ServerSentEvent(self._text(value), "message", self.last_id, self._retry)]
        if not self._started:
            self._started = True
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
        if self._cr_pending:
            self._cr_pending = False
            if data[:1] == b"\n":
                data = data[1:]
        if b"\r" in data:
            self._cr_pending = data.endswith(b"\r")
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        events: list[ServerSentEvent] = []
        for line in self._lines.split(data):
            if not line:
                if self._data:
                    events.append(self._dispatch())
                else:
                    self._event = None
            elif line[0] != 58:  # b":" starts a comment
                self._field(line)
        return events

    def close(self) -> bool:
        """End of body. Returns True when an unterminated event was pending (and dropped)."""
        leftover = bool(self._lines.take_rest().strip()) or bool(self._data)
        self._data = []
        return leftover

    def _field(self, line: bytes) -> None:
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"error":  # llama.cpp b2000-b4747 wrote `error: {...}` mid-stream
            self._event = "error"
            self._data.append(value)
        elif name == b"event":
            self._event = self._text(value)
        elif name == b"id":
            if b"\0" not in value:
                self.last_id = self._text(value)
        elif name == b"retry" and value.isdigit():
            self._retry = int(value)

    def _dispatch(self) -> ServerSentEvent:
        raw = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
        event = ServerSentEvent(self._text(raw), self._event or "message", self.last_id,
                                self._retry)
        self._data, self._event = [], None
        return event

    @staticmethod
    def _text(raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(
                f"Server-sent event is not valid UTF-8: {raw[:200]!r}",
                hint="The server's stream is corrupted or not an SSE stream.",
            ) from None
