"""Sans-IO decoders: the same events whatever the byte splits, typed errors on bad input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localllm.errors import ProtocolError
from localllm.wire import NDJSONDecoder, ServerSentEvent, SSEDecoder


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return pieces


def sse_all(pieces: list[bytes], **kw: int) -> list[ServerSentEvent]:
    dec = SSEDecoder(**kw)
    out = []
    for piece in pieces:
        out += dec.feed(piece)
    dec.close()
    return out


SSE_SAMPLE = (
    b": ping\r\n"
    b"data: {\"a\": 1}\r\n\r\n"
    b"event: update\nid: 7\nretry: 1500\ndata: line one\ndata: line two\n\n"
    b"data:no-space\r\rdata: caf\xc3\xa9 \xe2\x9c\x93\n\n"
    b":another comment\n"
    b"data: [DONE]\n\n"
)
SSE_EXPECTED = [
    ServerSentEvent('{"a": 1}'),
    ServerSentEvent("line one\nline two", "update", "7", 1500),
    ServerSentEvent("no-space", "message", "7", 1500),
    ServerSentEvent("café ✓", "message", "7", 1500),
    ServerSentEvent("[DONE]", "message", "7", 1500),
]


def test_sse_whatwg_fields_comments_crlf_multiline() -> None:
    events = sse_all([SSE_SAMPLE])
    assert [e.data for e in events] == [e.data for e in SSE_EXPECTED]
    assert events[1].event == "update" and events[1].id == "7" and events[1].retry == 1500
    assert events[2].retry == 1500  # the reconnection time persists for the stream
    assert events[2].event == "message"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_sse_same_events_for_any_split(cuts: list[int]) -> None:
    assert sse_all(split_at(SSE_SAMPLE, cuts)) == SSE_EXPECTED


def test_sse_every_single_split_point() -> None:
    for i in range(len(SSE_SAMPLE) + 1):
        got = sse_all([SSE_SAMPLE[:i], SSE_SAMPLE[i:]])
        assert got == SSE_EXPECTED, i


def test_sse_one_event_per_feed_same_as_whole_stream() -> None:
    """Servers flush one event per write: the decoder's whole-event path must agree with
    the general one on every field (event, id and retry carried over from earlier lines)."""
    events = [e + b"\n\n" for e in SSE_SAMPLE.replace(b"\r\n", b"\n").split(b"\n\n") if e]
    assert sse_all(events) == sse_all([SSE_SAMPLE]) == SSE_EXPECTED
    dec = SSEDecoder()
    assert dec.feed(b"event: note\n") == []
    assert dec.feed(b"data: x\n\n") == [ServerSentEvent("x", "note")]
    assert dec.feed(b"data: y\n\n") == [ServerSentEvent("y")]
    with pytest.raises(ProtocolError):
        SSEDecoder(max_line_bytes=10).feed(b"data: " + b"x" * 20 + b"\n\n")


def test_sse_crlf_split_between_feeds_is_one_line_end() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"data: x\r") == []
    assert [e.data for e in dec.feed(b"\n\r\n")] == ["x"]


def test_sse_blank_lines_without_data_dispatch_nothing() -> None:
    assert sse_all([b"\n\n\nevent: x\n\n: c\n\n"]) == []


def test_sse_unterminated_event_is_reported_at_close() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"data: partial") == []
    assert dec.close() is True


def test_sse_oversized_line_raises() -> None:
    dec = SSEDecoder(max_line_bytes=1024)
    with pytest.raises(ProtocolError, match="longer than 1024"):
        dec.feed(b"data: " + b"x" * 2000)
    with pytest.raises(ProtocolError):
        SSEDecoder(max_line_bytes=1024).feed(b"data: " + b"x" * 2000 + b"\n\n")


def test_sse_invalid_utf8_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="UTF-8"):
        SSEDecoder().feed(b"data: \xff\xfe\n\n")


NDJSON_OBJECTS = [{"message": {"content": "héllo"}, "done": False},
                  {"message": {"content": "\n"}, "done": False},
                  {"done": True, "eval_count": 2}]
NDJSON_SAMPLE = b"".join(json.dumps(o, ensure_ascii=False).encode() + b"\n"
                         for o in NDJSON_OBJECTS)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_ndjson_same_objects_for_any_split(cuts: list[int]) -> None:
    dec = NDJSONDecoder()
    out = []
    for piece in split_at(NDJSON_SAMPLE, cuts):
        out += dec.feed(piece)
    out += dec.close()
    assert out == NDJSON_OBJECTS


def test_ndjson_one_line_per_feed_and_json_only_values() -> None:
    dec = NDJSONDecoder()
    out = []
    for line in NDJSON_SAMPLE.splitlines(keepends=True):
        out += dec.feed(line)
    assert out == NDJSON_OBJECTS
    # What orjson refuses but json accepts still parses (the same input as json.loads).
    assert dec.feed(b'{"x": NaN, "big": 123456789012345678901234567890}\n')[0]["big"] == (
        123456789012345678901234567890)
    assert dec.feed(b"   \n") == []
    with pytest.raises(ProtocolError, match="longer than"):
        NDJSONDecoder(max_line_bytes=10).feed(b'{"a": "' + b"x" * 20 + b'"}\n')
    exact = b'{"a": "xx"}'  # a line of exactly the limit is allowed on every path
    assert NDJSONDecoder(max_line_bytes=len(exact)).feed(exact + b"\n") == [{"a": "xx"}]
    assert NDJSONDecoder(max_line_bytes=len(exact)).feed(exact + b"\n{}\n")[0] == {"a": "xx"}


def test_ndjson_malformed_line_raises_never_skips() -> None:
    dec = NDJSONDecoder()
    with pytest.raises(ProtocolError, match="Malformed JSON"):
        dec.feed(b'{"ok": 1}\n{not json}\n{"done": true}\n')


def test_ndjson_last_line_without_newline_counts_at_close() -> None:
    dec = NDJSONDecoder()
    assert dec.feed(b'{"a": 1}\n{"done": true}') == [{"a": 1}]
    assert dec.pending > 0
    assert dec.close() == [{"done": True}]


def test_ndjson_oversized_line_raises() -> None:
    dec = NDJSONDecoder(max_line_bytes=100)
    with pytest.raises(ProtocolError, match="longer than 100"):
        dec.feed(b'{"x": "' + b"a" * 200)


def test_ndjson_blank_and_crlf_lines() -> None:
    assert NDJSONDecoder().feed(b'\n  \n{"a": 1}\r\n') == [{"a": 1}]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(0, 400), max_size=6))
def test_decoders_only_raise_typed_errors_on_arbitrary_bytes(data: bytes, cuts: list[int]
                                                              ) -> None:
    for decoder in (SSEDecoder(max_line_bytes=64), NDJSONDecoder(max_line_bytes=64)):
        try:
            for piece in split_at(data, cuts):
                decoder.feed(piece)
            decoder.close()
        except ProtocolError:
            pass


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["choices", "delta", "message", "content", "tool_calls",
                                       "function", "index", "id", "name", "arguments", "usage",
                                       "timings", "done", "error", "finish_reason", "thinking",
                                       "response", "eval_count", "prompt_n"]),
                      children, max_size=4),
    max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(JSON_VALUES, min_size=1, max_size=4))
def test_protocol_parsers_only_raise_typed_errors_on_odd_json(records: list[object]) -> None:
    from localllm.accumulate import Accumulator
    from localllm.errors import LocalLLMError
    from localllm.protocols import ollama, openai

    sse = b"".join(b"data: " + json.dumps(r).encode() + b"\n\n" for r in records)
    nd = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    for parser, data in ((openai.StreamParser(1 << 20, {}), sse),
                         (ollama.StreamParser(1 << 20, {}), nd)):
        acc = Accumulator()
        try:
            for delta in parser.feed(data):
                acc.add(delta)
            parser.close()
            acc.result(strict=False)
        except LocalLLMError:
            pass


def test_long_line_arriving_in_small_pieces_costs_linear_time() -> None:
    """Regression: every feed re-copied the pending line, so a long line in small pieces was
    quadratic (8 MiB in 4 KiB pieces took ~3 s; a slow-dripping server could pin a core)."""
    import time

    for decoder, line in ((NDJSONDecoder(), b'{"a": "' + b"x" * (6 << 20) + b'"}\n'),
                          (SSEDecoder(), b"data: " + b"x" * (6 << 20) + b"\n\n")):
        started = time.perf_counter()
        out: list[object] = []
        for i in range(0, len(line), 1024):
            out += decoder.feed(line[i:i + 1024])
        assert len(out) == 1
        assert time.perf_counter() - started < 1.0
