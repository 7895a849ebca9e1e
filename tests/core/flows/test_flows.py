"""The chat flow driven by a scripted in-memory transport: retry, failover, timeout and
fallback decisions, checked without sockets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from localllm.client import Client
from localllm.errors import (
    AuthenticationError,
    ConnectionFailed,
    FirstTokenTimeout,
    IdleTimeout,
    ServerError,
    StreamInterrupted,
)
from localllm.flows.chat import chat as chat_flow
from localllm.flows.commands import Close, Read, ReadTimedOut
from localllm.http import HttpResponse
from localllm.request import chat_call
from localllm.routing import Endpoints
from localllm.settings import Settings
from localllm.types import Timeouts
from tests.core.flows.scripted import Script, drive

SSE = {"Content-Type": "text/event-stream"}
NDJSON = {"Content-Type": "application/x-ndjson"}


def sse_text(*words: str, finish: bool = True) -> list[bytes]:
    out = [b'data: {"choices":[{"delta":{"content":"%s"}}]}\n\n' % w.encode() for w in words]
    if finish:
        out.append(b'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')
    return out


def run(flow: Any, script: Script) -> list[str]:
    """The emitted content; the flow's error, if any, is raised."""
    deltas, error = drive(flow, script)
    if error is not None:
        raise error
    return [d.content for d in deltas]


@dataclass
class Setup:
    """What a flow is given: the endpoint state and the client's settings."""

    endpoints: Endpoints
    settings: Settings


SHORT = Timeouts(connect=1, first_token=5, idle=2)


def client(urls: Any = "http://a", backend: str = "openai", max_retries: int = 2,
           timeout: Timeouts = SHORT) -> Setup:
    return Setup(Endpoints(urls, backend), Settings(timeout, max_retries))


def chat(c: Setup, script: Script) -> list[str]:
    return run(chat_flow(chat_call("hi", model="m"), c.endpoints, c.settings), script)


def test_503_with_retry_after_is_retried_then_succeeds() -> None:
    script = Script((HttpResponse(503, {"Retry-After": "1.5"}, b'{"error":"loading"}'), []),
                    (HttpResponse(200, SSE), sse_text("ok")))
    assert chat(client(), script) == ["ok", ""]
    assert script.sleeps == [1.5] and len(script.opens) == 2


def test_401_is_not_retried_and_key_is_not_in_message() -> None:
    script = Script((HttpResponse(401, {}, b'{"error":"bad key"}'), []))
    with pytest.raises(AuthenticationError) as info:
        chat(client(), script)
    assert len(script.opens) == 1 and "sk-secret" not in str(info.value)
    assert "sk-secret" not in repr(Client("http://a", api_key="sk-secret"))


def test_no_retry_after_output_started() -> None:
    script = Script((HttpResponse(200, SSE), [*sse_text("a", finish=False),
                                              ConnectionFailed("reset")]),
                    (HttpResponse(200, SSE), sse_text("b")))
    with pytest.raises(StreamInterrupted) as info:
        chat(client(), script)
    assert len(script.opens) == 1
    assert info.value.partial is not None and info.value.partial.content == "a"


def test_error_record_in_the_same_read_as_text_loses_nothing() -> None:
    """Good records and then an error record in one read (a block read of a fast stream):
    the error carries that text as its partial and, the text being out, is not retried.
    (That the text is handed out before the error: tests/langchain.)"""
    block = b"".join(sse_text("a", "b", finish=False)) + \
        b'data: {"error":{"message":"runner crashed","code":500}}\n\n'
    script = Script((HttpResponse(200, SSE), [block]), (HttpResponse(200, SSE), sse_text("c")))
    with pytest.raises(ServerError) as info:
        chat(client(), script)
    assert len(script.opens) == 1
    assert info.value.partial is not None and info.value.partial.content == "ab"


def test_reset_before_first_delta_is_retried() -> None:
    script = Script((HttpResponse(200, SSE), [ConnectionFailed("reset")]),
                    (HttpResponse(200, SSE), sse_text("b")))
    assert chat(client(), script) == ["b", ""]
    assert len(script.opens) == 2


def test_failover_to_next_endpoint_and_it_stays_preferred() -> None:
    c = client(["http://a", "http://b"])
    script = Script(ConnectionFailed("refused"), (HttpResponse(200, SSE), sse_text("x")))
    assert chat(c, script) == ["x", ""]
    assert script.opens == ["http://a/v1/chat/completions", "http://b/v1/chat/completions"]
    assert script.sleeps == []  # moving to another endpoint does not wait
    script = Script((HttpResponse(200, SSE), sse_text("y")))
    chat(c, script)
    assert script.opens == ["http://b/v1/chat/completions"]


def test_first_token_and_idle_timeouts_are_named_and_not_retried() -> None:
    script = Script((HttpResponse(200, SSE), [b": ping\n\n", ReadTimedOut()]))
    with pytest.raises(FirstTokenTimeout):
        chat(client(), script)
    assert len(script.opens) == 1
    script = Script((HttpResponse(200, SSE), [*sse_text("a", finish=False), ReadTimedOut()]))
    with pytest.raises(IdleTimeout):
        chat(client(), script)
    reads = [c.timeout for c in script.log if isinstance(c, Read)]
    assert reads[0] <= 5 and reads[-1] == 2  # first-token budget, then the idle limit


def test_stream_is_drained_and_closed_for_reuse() -> None:
    script = Script((HttpResponse(200, SSE), sse_text("a")))
    chat(client(), script)
    closes = [c for c in script.log if isinstance(c, Close)]
    assert closes == [Close(reuse=True)]


def test_generate_fallback_only_on_go_404_page_not_found() -> None:
    c = client(backend="ollama")
    done = b'{"response":"","done":true,"done_reason":"stop"}\n'
    script = Script((HttpResponse(404, {}, b"404 page not found"), []),
                    (HttpResponse(200, NDJSON), [b'{"response":"hi","done":false}\n', done]))
    assert chat(c, script) == ["hi", ""]
    assert script.opens == ["http://a/api/chat", "http://a/api/generate"]
    # any other error does NOT switch endpoints
    c = client(backend="ollama", max_retries=0)
    script = Script((HttpResponse(500, {}, b'{"error":"llama runner crashed"}'), []))
    with pytest.raises(ServerError):
        chat(c, script)
    assert script.opens == ["http://a/api/chat"]


def test_retries_are_bounded() -> None:
    script = Script(*[ConnectionFailed("refused")] * 5)
    with pytest.raises(ConnectionFailed):
        chat(client(max_retries=2), script)
    assert len(script.opens) == 3 and len(script.sleeps) == 2


def test_whole_bodies_are_read_to_their_end_or_just_past_the_limit() -> None:
    from localllm.transport.body import MAX_WHOLE_BODY as MAX_ERROR_BODY
    from localllm.transport.body import BoundedBody

    body = BoundedBody()
    assert body.add(b"abc") and body.add(b"def") and not body.add(b"")
    assert body.bytes() == b"abcdef"
    huge, reads = BoundedBody(), 0
    piece = b"x" * 65536
    while huge.add(piece):  # an endless error page: reading stops past the limit
        reads += 1
    assert MAX_ERROR_BODY < len(huge.bytes()) <= MAX_ERROR_BODY + len(piece)
    assert reads == MAX_ERROR_BODY // len(piece)
