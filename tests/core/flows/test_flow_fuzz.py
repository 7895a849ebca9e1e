"""The whole chat flow fed arbitrary answers through a scripted transport (no sockets):
statuses, content types, Retry-After values, byte streams built from real and broken
fragments split anywhere, resets and timeouts at any point. Whatever arrives, only
``LocalLLMError`` escapes; a success is always a stream the server marked complete; nothing
is re-sent after output; a failure after output carries exactly what was emitted."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localllm.errors import ConnectionFailed, LocalLLMError
from localllm.flows.chat import chat as chat_flow
from localllm.flows.commands import Emit, Open, ReadTimedOut
from localllm.http import HttpResponse
from localllm.request import chat_call
from localllm.types import Delta
from tests.core.flows.scripted import Script
from tests.core.flows.scripted import drive as drive_script
from tests.core.flows.test_flows import client

SSE_FRAGMENTS = [
    b'data: {"choices":[{"delta":{"content":"a"}}]}\n\n',
    b'data: {"choices":[{"delta":{"reasoning_content":"r"}}]}\n\n',
    b'data: {"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function",'
    b'"function":{"name":"f","arguments":"{\\"x\\":"}}]}}]}\n\n',
    b'data: {"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}}]}\n\n',
    b'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\n',
    b'data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\n',
    b"data: [DONE]\n\n", b": keep-alive\n\n", b"\r\n", b"event: error\n", b"id: 1\nretry: 5\n",
    b'data: {"error":{"message":"boom","type":"server_error"}}\n\n',
    b'data: {"error":{"message":"ctx","type":"exceed_context_size_error"}}\n\n',
    b"data: {broken\n\n", b"data: [1, 2]\n\n", b"data: \xff\xfe\n\n", b'data: {"choices":7}\n\n',
]
NDJSON_FRAGMENTS = [
    b'{"message":{"role":"assistant","content":"a"},"done":false}\n',
    b'{"message":{"content":"","thinking":"t"},"done":false}\n',
    b'{"message":{"content":"","tool_calls":[{"function":{"name":"f","arguments":{"x":1}}}]},'
    b'"done":false}\n',
    b'{"message":{"content":""},"done":true,"done_reason":"stop","eval_count":2}\n',
    b'{"done":true,"done_reason":"load"}\n', b'{"response":"g","done":false}\n',
    b'{"error":"llama runner process has terminated"}\n', b"\n", b"   \n", b"{broken\n",
    b"[1, 2]\n", b'{"message":{"content":5},"done":false}\n', b'{"message":"x"}\n',
]
CTYPES = ["text/event-stream", "application/x-ndjson", "text/html; charset=utf-8",
          "application/json", "text/plain", ""]
STATUSES = [200, 200, 200, 200, 400, 401, 404, 429, 500, 502, 503]


@st.composite
def answers(draw: Any, fragments: list[bytes]) -> Any:
    """One scripted answer: an exception at connect, or (response, body chunks)."""
    if draw(st.integers(0, 9)) == 0:
        return ConnectionFailed("refused")
    status = draw(st.sampled_from(STATUSES))
    headers = {"Content-Type": draw(st.sampled_from(CTYPES))}
    if draw(st.booleans()):
        headers["Retry-After"] = draw(st.sampled_from(["0", "0.01", "-3", "soon", "1e9"]))
    pieces = draw(st.lists(st.sampled_from(fragments) | st.binary(max_size=24), max_size=10))
    data = b"".join(pieces)
    cuts = sorted(set(draw(st.lists(st.integers(0, max(0, len(data))), max_size=6))))
    chunks: list[Any] = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    chunks = [c for c in chunks if c]
    if draw(st.integers(0, 3)) == 0:
        fault = draw(st.sampled_from(["reset", "timeout"]))
        chunks.insert(draw(st.integers(0, len(chunks))),
                      ConnectionFailed("reset") if fault == "reset" else ReadTimedOut())
    return HttpResponse(status, headers, data if status >= 300 else b""), chunks


class Scripted(Script):
    """Each Open/Send takes the next answer (a refused connection once they run out)."""

    def __init__(self, items: list[Any]) -> None:
        super().__init__(*items)
        self.bodies: list[bytes] = []

    def next_item(self) -> Any:
        return self.items.pop(0) if self.items else ConnectionFailed("refused")

    def answer(self, resp: Any, chunks: list[Any]) -> Any:
        self.bodies.append(b"".join(c for c in chunks if isinstance(c, bytes)))
        return super().answer(resp, chunks if resp.ok else [])


def drive(flow: Any, script: Scripted) -> tuple[list[Delta], LocalLLMError | None]:
    return drive_script(flow, script, log_emits=True)


def _check(backend: str, items: list[Any], max_retries: int) -> None:
    c = client(backend=backend, max_retries=max_retries)
    script = Scripted(items)
    deltas, error = drive(chat_flow(chat_call("hi", model="m"), c.endpoints, c.settings), script)
    opens = [i for i, cmd in enumerate(script.log) if isinstance(cmd, Open)]
    assert len(opens) <= max_retries + 1
    first_output = next((i for i, cmd in enumerate(script.log) if isinstance(cmd, Emit)
                         and any(d.is_output for d in cmd.items)), None)
    if first_output is not None:  # never re-sent once output was emitted
        assert all(i < first_output for i in opens)
    content = "".join(d.content for d in deltas)
    if error is None:
        last_body = script.bodies[-1]
        marked = any(d.finish_reason for d in deltas) or (
            backend == "openai" and b"data: [DONE]" in last_body)
        assert marked, f"success without a completion marker: {last_body!r}"
    elif deltas:
        assert error.partial is not None and error.partial.content == content


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(answers(SSE_FRAGMENTS), min_size=1, max_size=4), st.integers(0, 2))
def test_openai_flow_only_typed_errors(items: list[Any], max_retries: int) -> None:
    _check("openai", items, max_retries)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(answers(NDJSON_FRAGMENTS), min_size=1, max_size=4), st.integers(0, 2))
def test_ollama_flow_only_typed_errors(items: list[Any], max_retries: int) -> None:
    _check("ollama", items, max_retries)
