"""HTTP/1.1 chunked transfer coding (RFC 9112 §7.1), sans-IO.

The blocking transport reads whatever the socket has (one ``read1``) and feeds it here, so
a burst of a hundred one-token chunks costs one call instead of a hundred trips through
urllib3's per-chunk reader. Data comes out as soon as it arrives, mid-chunk included: the
stream decoders above take any split.
"""

from __future__ import annotations

MAX_SIZE_LINE = 4096  # a chunk-size line (with extensions) or a trailer line


class ChunkedEncodingError(ValueError):
    """The body breaks the chunked framing (not a size in hex, no CRLF after the data)."""


class ChunkedDecoder:
    __slots__ = ("_buffer", "_left", "_state", "done")

    def __init__(self) -> None:
        self._buffer = b""
        self._left = 0  # data bytes still to come in the current chunk
        self._state = "size"  # size | data | data-end | trailer
        self.done = False  # the last chunk and the trailer section were read

    def feed(self, data: bytes) -> bytes:
        """The chunk data carried by ``data`` (b"" when it held only framing)."""
        if self.done:
            if data:
                raise ChunkedEncodingError("data after the end of the chunked body")
            return b""
        buf = self._buffer + data if self._buffer else data
        pos, end, out = 0, len(buf), []
        while pos < end:
            state = self._state
            if state == "data":
                take = min(self._left, end - pos)
                out.append(buf[pos:pos + take])
                pos += take
                self._left -= take
                if not self._left:
                    self._state = "data-end"
                continue
            eol = buf.find(b"\n", pos)
            if eol < 0:
                if end - pos > MAX_SIZE_LINE:
                    raise ChunkedEncodingError(f"a framing line over {MAX_SIZE_LINE} bytes")
                break
            line = buf[pos:eol].rstrip(b"\r")
            pos = eol + 1
            if state == "data-end":
                if line:
                    raise ChunkedEncodingError(f"no CRLF after chunk data: {line[:40]!r}")
                self._state = "size"
            elif state == "size":
                self._left = _size(line)
                self._state = "data" if self._left else "trailer"
            elif not line:  # the empty line that ends the trailer section
                self.done = True
                if pos < end:
                    raise ChunkedEncodingError("data after the end of the chunked body")
                break
        self._buffer = buf[pos:] if pos < end else b""
        return out[0] if len(out) == 1 else b"".join(out)


def _size(line: bytes) -> int:
    digits = line.split(b";", 1)[0].strip()
    if not digits or len(digits) > 16 or digits.strip(b"0123456789abcdefABCDEF"):
        raise ChunkedEncodingError(f"bad chunk size line: {line[:40]!r}")
    return int(digits, 16)
