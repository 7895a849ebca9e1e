"""Arbitrary HTTP answers over a real socket, through the real transports (requests and
aiohttp): broken status lines, odd or contradictory headers (chunked, Content-Length,
Content-Encoding), bodies of real and broken stream fragments, cut anywhere, then the
connection closes. Only ``LocalLLMError`` may escape, within the timeouts, and a success is
always a stream the server marked complete."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localllm import Timeouts
from tests.core.flows.test_flow_fuzz import NDJSON_FRAGMENTS, SSE_FRAGMENTS

from .drivers import DRIVERS, Driver, Run, driver_id, localllm_error
from .fault_server import OLLAMA, OPENAI, FaultServer, Step

TIMEOUTS = Timeouts(connect=1, first_token=0.5, idle=0.5)
STATUS_LINES = [b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK", b"HTTP/1.1 503 Busy", b"HTTP/1.1 401 No",
                b"HTTP/1.1 404 Not Found", b"HTTP/1.1 999 What", b"HTTP/1.1 200", b"HTTP/2 200",
                b"ICY 200 OK", b"SSH-2.0-OpenSSH_9.6", b"", b"\x16\x03\x01\x00\xa5"]
HEADER_LINES = [b"Content-Type: text/event-stream", b"Content-Type: application/x-ndjson",
                b"Content-Type: text/html", b"Content-Type: application/json",
                b"Transfer-Encoding: chunked", b"Content-Length: 0", b"Content-Length: 5",
                b"Content-Length: 100000", b"Content-Length: -1", b"Content-Length: x",
                b"Content-Encoding: gzip", b"Content-Encoding: deflate", b"Content-Encoding: br",
                b"Retry-After: 0.01", b"Connection: close", b"Connection: keep-alive",
                b"X-Junk: \xff\xfe", b"no colon here", b" folded: line"]


def chunked(data: bytes, cuts: list[int]) -> bytes:
    points = sorted({c % (len(data) + 1) for c in cuts})
    bounds = zip([0, *points], [*points, len(data)], strict=True)
    pieces = [data[a:b] for a, b in bounds if data[a:b]]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


@st.composite
def raw_answers(draw: Any, fragments: list[bytes]) -> bytes:
    status = draw(st.sampled_from(STATUS_LINES) | st.binary(max_size=20))
    headers = draw(st.lists(st.sampled_from(HEADER_LINES), max_size=5))
    body = b"".join(draw(st.lists(st.sampled_from(fragments) | st.binary(max_size=16),
                                  max_size=8)))
    if b"Transfer-Encoding: chunked" in headers and draw(st.booleans()):
        body = chunked(body, draw(st.lists(st.integers(0, 500), max_size=4)))
    raw = b"\r\n".join([status, *headers]) + b"\r\n\r\n" + body
    return raw[:draw(st.integers(len(raw) // 2, len(raw)))] if draw(st.booleans()) else raw


@pytest.fixture(scope="module")
def fuzz_server(fault_server: FaultServer) -> FaultServer:
    return fault_server


def _one(server: FaultServer, driver: Driver, backend: str, raw: bytes) -> None:
    server.reset(flavour=backend)
    server.script(Step(before=raw))
    session = driver.open(Run(server.url, backend=backend, timeout=TIMEOUTS, max_retries=0))
    started = time.monotonic()
    pieces: list[str] = []
    try:
        content = session.stream(pieces)
    except Exception as exc:
        error = localllm_error(exc)
        if error is None:
            raise AssertionError(f"untyped error for {raw!r}: {exc!r}") from exc
        if pieces:
            assert error.partial is not None and error.partial.content == "".join(pieces)
    else:
        assert server.chat_requests == 1
        marker = b'"done": true' in raw or b'"done":true' in raw if backend == OLLAMA \
            else b"[DONE]" in raw or b"finish_reason" in raw
        assert marker, f"success ({content!r}) without a completion marker: {raw!r}"
    finally:
        session.close()
    assert time.monotonic() - started < 3.0
    assert server.wait_closed(1.0)


@pytest.mark.parametrize("driver", DRIVERS, ids=driver_id)
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(raw=raw_answers(SSE_FRAGMENTS))
def test_openai_raw_http_only_typed_errors(fuzz_server: FaultServer, driver: Driver,
                                           raw: bytes) -> None:
    _one(fuzz_server, driver, OPENAI, raw)


@pytest.mark.parametrize("driver", DRIVERS, ids=driver_id)
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(raw=raw_answers(NDJSON_FRAGMENTS))
def test_ollama_raw_http_only_typed_errors(fuzz_server: FaultServer, driver: Driver,
                                           raw: bytes) -> None:
    _one(fuzz_server, driver, OLLAMA, raw)
