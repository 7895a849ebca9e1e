"""The chunked-transfer decoder of the blocking transport, split at every byte."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localllm.wire.chunked import ChunkedDecoder, ChunkedEncodingError


def encode(parts: list[bytes], ext: bytes = b"", trailer: bytes = b"") -> bytes:
    body = b"".join(b"%x%s\r\n%s\r\n" % (len(p), ext, p) for p in parts if p)
    return body + b"0\r\n" + trailer + b"\r\n"


def decode(wire: bytes, cuts: list[int]) -> tuple[bytes, bool]:
    decoder, out, last = ChunkedDecoder(), [], 0
    for cut in [*sorted(cuts), len(wire)]:
        out.append(decoder.feed(wire[last:cut]))
        last = cut
    return b"".join(out), decoder.done


@given(st.lists(st.binary(max_size=300), max_size=8),
       st.lists(st.integers(min_value=0, max_value=4000), max_size=12),
       st.sampled_from([b"", b";name=value"]), st.sampled_from([b"", b"X-Trailer: 1\r\n"]))
def test_any_split_gives_the_body_and_the_end(parts: list[bytes], cuts: list[int],
                                              ext: bytes, trailer: bytes) -> None:
    wire = encode(parts, ext, trailer)
    assert decode(wire, [min(c, len(wire)) for c in cuts]) == (b"".join(parts), True)


def test_bare_lf_line_ends_and_upper_case_sizes_are_read() -> None:
    assert decode(b"A\n0123456789\n0\n\n", []) == (b"0123456789", True)


def test_data_comes_out_before_its_chunk_is_complete() -> None:
    decoder = ChunkedDecoder()
    assert decoder.feed(b"a\r\n01234") == b"01234"
    assert decoder.feed(b"56789\r\n") == b"56789"
    assert not decoder.done
    assert decoder.feed(b"0\r\n\r\n") == b"" and decoder.done


def test_incomplete_body_is_not_done() -> None:
    assert decode(encode([b"abc"])[:-2], []) == (b"abc", False)


@pytest.mark.parametrize("wire", [
    b"zz\r\nab\r\n",  # not hex
    b"\r\n",  # empty size
    b"3\r\nabcXY\r\n",  # no CRLF after the data
    b"1" * 17 + b"\r\n",  # absurd size
    b"7" * 5000,  # a size line without end
    b"0\r\n\r\nextra",  # bytes after the end
])
def test_broken_framing_raises(wire: bytes) -> None:
    with pytest.raises(ChunkedEncodingError):
        ChunkedDecoder().feed(wire)
