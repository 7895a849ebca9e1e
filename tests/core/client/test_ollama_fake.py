"""The Ollama path of Client/AsyncClient against a FAKE Ollama built from Ollama's documented
wire format (tests/ollama/fake_ollama.py), since no Ollama binary can be installed here."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from localllm import Client, Timeouts
from localllm.errors import (
    BadRequest,
    FirstTokenTimeout,
    IdleTimeout,
    ModelNotFound,
    ProtocolError,
    ServerError,
    StreamInterrupted,
)
from tests.support.fake_ollama import (
    FakeOllama,
    Reply,
    error_mid_stream,
    http_error,
    thinking_reply,
    tool_call_reply,
    tool_calls_reply,
    truncated,
)
from tests.support.helpers import EitherClient

MODEL = "llama3.2:1b"
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}


@pytest.fixture(params=["sync", "async"])
def client(request: pytest.FixtureRequest, fake_ollama: FakeOllama) -> Iterator[EitherClient]:
    c = EitherClient(request.param, fake_ollama.url, timeout=5)
    yield c
    c.close()


def test_streams_content_then_usage_and_ns_timings(client: EitherClient,
                                                   fake_ollama: FakeOllama) -> None:
    deltas = client.stream("hi", model=MODEL, max_tokens=8, temperature=0)
    assert "".join(d.content for d in deltas) == "Hello from fake Ollama"
    last = deltas[-1]
    assert last.finish_reason == "stop" and last.usage and last.usage.completion_tokens > 0
    assert last.timings and last.timings.predicted_ms and last.timings.predicted_ms < 10_000
    method, path, body = fake_ollama.requests[-1]
    assert (method, path) == ("POST", "/api/chat")
    assert body["options"] == {"num_predict": 8, "temperature": 0} and body["stream"] is True


def test_whole_tool_calls_get_stable_ids(client: EitherClient, fake_ollama: FakeOllama) -> None:
    fake_ollama.enqueue(tool_calls_reply([("get_weather", {"city": "Paris"}),
                                          ("get_weather", {"city": "Oslo"})]))
    result = client.chat("weather?", model=MODEL, tools=[WEATHER])
    assert [c.arguments for c in result.tool_calls] == [{"city": "Paris"}, {"city": "Oslo"}]
    assert all(c.id.startswith("call_") for c in result.tool_calls)
    assert result.tool_calls[0].id != result.tool_calls[1].id
    assert result.finish_reason == "tool_calls"
    fake_ollama.enqueue(tool_call_reply("get_weather", {"city": "Rome"}, with_ids=True))
    result = client.chat("weather?", model=MODEL, tools=[WEATHER])
    assert result.tool_calls[0].arguments == {"city": "Rome"}
    assert fake_ollama.requests[-1][2]["tools"] == [WEATHER]


def test_tool_result_round_trip_and_named_choice(client: EitherClient,
                                                 fake_ollama: FakeOllama) -> None:
    other = {"name": "add", "parameters": {"type": "object"}}
    client.chat([{"role": "user", "content": "weather?"},
                 {"role": "assistant", "content": "", "tool_calls": [
                     {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
                 {"role": "tool", "content": "sunny", "tool_name": "get_weather"}],
                model=MODEL, tools=[WEATHER, other], tool_choice="get_weather")
    body = fake_ollama.requests[-1][2]
    assert [t["function"]["name"] for t in body["tools"]] == ["get_weather"]
    assert body["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"city": "Paris"}
    assert body["messages"][2] == {"role": "tool", "content": "sunny",
                                   "tool_name": "get_weather"}


def test_thinking_streams_as_reasoning(client: EitherClient, fake_ollama: FakeOllama) -> None:
    fake_ollama.enqueue(thinking_reply("Let me think.", "Four."))
    result = client.chat("2+2?", model="qwen3:0.6b", reasoning=True)
    assert result.reasoning == "Let me think." and result.content == "Four."
    assert fake_ollama.requests[-1][2]["think"] is True


def test_error_line_inside_200_stream_raises(client: EitherClient,
                                             fake_ollama: FakeOllama) -> None:
    fake_ollama.enqueue(error_mid_stream("partial words", "llama runner process has terminated"))
    with pytest.raises(ServerError, match="runner process has terminated") as info:
        client.chat("hi", model=MODEL)
    assert info.value.url == fake_ollama.url and info.value.model == MODEL


def test_body_without_done_is_stream_interrupted_with_partial(
        client: EitherClient, fake_ollama: FakeOllama) -> None:
    for reply in (truncated("cut short here"), truncated("cut short here", abort=True)):
        fake_ollama.enqueue(reply)
        with pytest.raises(StreamInterrupted) as info:
            client.chat("hi", model=MODEL)
        assert info.value.partial is not None
        assert info.value.partial.content == "cut short here"
        assert info.value.partial.finish_reason is None


def test_model_not_found_lists_available_models(client: EitherClient) -> None:
    with pytest.raises(ModelNotFound) as info:
        client.chat("hi", model="nope:7b")
    assert "llama3.2:1b" in info.value.available and "llama3.2:1b" in str(info.value)
    assert info.value.status == 404 and "nope:7b" in str(info.value)


def test_http_400_is_bad_request_not_retried(client: EitherClient,
                                             fake_ollama: FakeOllama) -> None:
    fake_ollama.enqueue(http_error(400, "invalid options"))
    with pytest.raises(BadRequest, match="invalid options"):
        client.chat("hi", model=MODEL)
    assert [p for _, p, _ in fake_ollama.requests].count("/api/chat") == 1


def test_generate_fallback_only_when_chat_endpoint_is_missing(
        request: pytest.FixtureRequest) -> None:
    with FakeOllama(chat_missing=True) as fake:
        for mode in ("sync", "async"):
            c = EitherClient(mode, fake.url)
            result = c.chat([{"role": "system", "content": "be nice"},
                             {"role": "user", "content": "hi"}], model=MODEL)
            assert result.content == "Hello from fake Ollama"
            c.close()
        paths = [p for _, p, _ in fake.requests if p.startswith("/api/")]
        assert "/api/generate" in paths
        gen_body = next(b for _, p, b in fake.requests if p == "/api/generate")
        assert gen_body["system"] == "be nice" and "user: hi" in gen_body["prompt"]


def test_models_show_ps_and_embed(client: EitherClient, fake_ollama: FakeOllama) -> None:
    names = [m.name for m in client.models()]
    assert names[:2] == ["llama3.2:1b", "qwen3:0.6b"]
    client.chat("load it", model=MODEL)  # loads the model, so /api/ps lists it
    info = client.show(MODEL)
    assert info.context_window == 4096  # loaded context from /api/ps, not the trained max
    assert info.max_context == 131072 and "tools" in info.capabilities
    unloaded = client.show("qwen3:0.6b", num_ctx=8192)
    assert unloaded.context_window == 8192 and "thinking" in unloaded.capabilities
    vectors = client.embed(["a", "b", "c"], model="nomic-embed-text")
    assert len(vectors) == 3 and len(vectors[0]) == 8 and vectors[0] != vectors[1]
    assert client.is_available()


def test_keep_alive_connection_is_reused(fake_ollama: FakeOllama) -> None:
    for mode in ("sync", "async"):
        before = fake_ollama.connections
        c = EitherClient(mode, fake_ollama.url)
        for _ in range(4):
            c.chat("hi", model=MODEL)
        if mode == "sync":  # async opens one session per asyncio.run() loop by design
            assert fake_ollama.connections - before == 1
        c.close()


def _chunk(text: str) -> dict:
    return {"model": MODEL, "message": {"role": "assistant", "content": text}, "done": False}


DONE = {"model": MODEL, "message": {"role": "assistant", "content": ""}, "done": True,
        "done_reason": "stop", "eval_count": 1}


def test_malformed_line_is_a_protocol_error_not_skipped(client: EitherClient,
                                                        fake_ollama: FakeOllama) -> None:
    fake_ollama.enqueue(Reply(raw=[_chunk("a"), b"{this is not json}\n", _chunk("b"), DONE]))
    with pytest.raises(ProtocolError, match="Malformed JSON") as info:
        client.chat("hi", model=MODEL)
    assert info.value.url == fake_ollama.url


def test_first_token_and_idle_timeouts_are_separate(fake_ollama: FakeOllama) -> None:
    """Slow model load (first token) and a stalled stream (idle) have their own limits."""
    for mode in ("sync", "async"):
        c = EitherClient(mode, fake_ollama.url, timeout=Timeouts(connect=2, first_token=0.5,
                                                                  idle=5))
        fake_ollama.enqueue(Reply(raw=[1.5, _chunk("late"), DONE]))
        started = time.monotonic()
        with pytest.raises(FirstTokenTimeout):
            c.chat("hi", model=MODEL)
        assert time.monotonic() - started < 1.5
        c.close()
        c = EitherClient(mode, fake_ollama.url, timeout=Timeouts(connect=2, first_token=5,
                                                                  idle=0.4))
        fake_ollama.enqueue(Reply(raw=[_chunk("fast"), 1.5, _chunk("stalled"), DONE]))
        started = time.monotonic()
        with pytest.raises(IdleTimeout) as info:
            c.chat("hi", model=MODEL)
        assert time.monotonic() - started < 1.4
        assert info.value.partial is not None and info.value.partial.content == "fast"
        # a slow-but-steady stream within both limits completes
        fake_ollama.enqueue(Reply(raw=[0.2, _chunk("a"), 0.2, _chunk("b"), 0.2, DONE]))
        assert c.chat("hi", model=MODEL).content == "ab"
        c.close()


def test_oversized_line_is_a_protocol_error(fake_ollama: FakeOllama) -> None:
    c = EitherClient("sync", fake_ollama.url, max_line_bytes=64 * 1024)
    fake_ollama.enqueue(Reply(raw=[_chunk("x" * 200_000), DONE]))
    with pytest.raises(ProtocolError, match="longer than"):
        c.chat("hi", model=MODEL)
    c.close()


def test_pull_streams_progress_until_success(client: EitherClient,
                                             fake_ollama: FakeOllama) -> None:
    if client.mode == "sync":
        records = list(client.client.pull("llama3.2:1b"))  # type: ignore[union-attr]
    else:
        async def collect() -> list:
            return [r async for r in client.client.pull("llama3.2:1b")]  # type: ignore[union-attr]

        records = asyncio.run(collect())
    assert records[0].status == "pulling manifest" and records[-1].status == "success"
    assert any(r.total and r.completed is not None for r in records)
    fake_ollama.pull_error = "pull model manifest: file does not exist"
    with pytest.raises(ModelNotFound):
        list(Client(fake_ollama.url).pull("nope"))
