"""Client and AsyncClient against the REAL llama.cpp server (xllamacpp + gemma-3-270m),
one server shared by the whole test session. Tests check mechanics, not model wisdom."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import pytest
import requests

from localllm import AsyncClient, Client, Timeouts
from localllm.errors import ConnectionFailed, ContextOverflow
from tests.support.helpers import EitherClient
from tests.support.netstat import established_to

pytestmark = pytest.mark.integration

GREEDY = {"temperature": 0, "seed": 42}
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}
ADD = {"type": "function", "function": {
    "name": "add", "description": "Add two integers",
    "parameters": {"type": "object", "properties": {"a": {"type": "integer"},
                                                    "b": {"type": "integer"}},
                   "required": ["a", "b"]}}}


@pytest.fixture(params=["sync", "async"])
def client(request: pytest.FixtureRequest, embedded_server: object) -> Iterator[EitherClient]:
    c = EitherClient(request.param, embedded_server.url, timeout=Timeouts(  # type: ignore[attr-defined]
        connect=5, first_token=120, idle=30))
    yield c
    c.close()


def test_backend_detected_and_model_listed(client: EitherClient, embedded_server: object
                                           ) -> None:
    names = [m.name for m in client.models()]
    assert embedded_server.model in names  # type: ignore[attr-defined]
    assert client.is_available()


def test_plain_stream_with_usage_and_timings(client: EitherClient) -> None:
    deltas = client.stream("Say hello.", model="gemma-3-270m", max_tokens=16, **GREEDY)
    text = "".join(d.content for d in deltas)
    assert text.strip(), "the model produced no text"
    assert sum(1 for d in deltas if d.content) >= 2, "content was not streamed in pieces"
    finish = [d.finish_reason for d in deltas if d.finish_reason]
    assert finish and finish[-1] in ("stop", "length")
    usage = next(d.usage for d in deltas if d.usage)
    assert usage.completion_tokens > 0 and usage.prompt_tokens > 0
    timings = next(d.timings for d in deltas if d.timings)
    assert timings.predicted_per_second and timings.predicted_per_second > 1


def test_chat_result_is_built_from_the_same_stream(client: EitherClient) -> None:
    a = client.chat("Name a colour.", model="gemma-3-270m", max_tokens=12, **GREEDY)
    b = "".join(d.content for d in client.stream("Name a colour.", model="gemma-3-270m",
                                                 max_tokens=12, **GREEDY))
    assert a.content == b and a.usage and a.usage.completion_tokens <= 12


@pytest.mark.parametrize("choice", ["required", "auto"])
def test_streamed_tool_call(client: EitherClient, choice: str) -> None:
    deltas = client.stream("What is the weather in Paris?", model="gemma-3-270m",
                           tools=[WEATHER, ADD], tool_choice=choice, max_tokens=64, **GREEDY)
    fragments = [f for d in deltas for f in d.tool_calls]
    assert fragments, f"no tool call with tool_choice={choice}"
    assert fragments[0].id and fragments[0].name == "get_weather"
    result = client.chat("What is the weather in Paris?", model="gemma-3-270m",
                         tools=[WEATHER, ADD], tool_choice=choice, max_tokens=64, **GREEDY)
    call = result.tool_calls[0]
    assert call.name == "get_weather" and "paris" in call.arguments["city"].lower()
    assert result.finish_reason == "tool_calls"


def test_named_tool_choice_is_enforced_client_side(client: EitherClient) -> None:
    """llama.cpp ignores a named tool_choice; the client restricts the tools instead."""
    result = client.chat("What is the weather in Paris?", model="gemma-3-270m",
                         tools=[WEATHER, ADD],
                         tool_choice={"type": "function", "function": {"name": "add"}},
                         max_tokens=64, **GREEDY)
    assert [c.name for c in result.tool_calls] == ["add"]
    assert set(result.tool_calls[0].arguments) <= {"a", "b"}


def test_tool_result_round_trip_gives_an_answer(client: EitherClient) -> None:
    first = client.chat("What is the weather in Paris?", model="gemma-3-270m",
                        tools=[WEATHER], tool_choice="required", max_tokens=64, **GREEDY)
    call = first.tool_calls[0]
    messages = [{"role": "user", "content": "What is the weather in Paris?"},
                {"role": "assistant", "content": "", "tool_calls": [call.to_openai()]},
                {"role": "tool", "content": "Sunny, 22 degrees", "tool_call_id": call.id,
                 "name": call.name}]
    answer = client.chat(messages, model="gemma-3-270m", tools=[WEATHER], max_tokens=32,
                         **GREEDY)
    assert answer.content.strip() and not answer.tool_calls


def test_json_schema_output_validates(client: EitherClient) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"},
                                               "age": {"type": "integer"}},
              "required": ["name", "age"]}
    result = client.chat("Invent a person.", model="gemma-3-270m", max_tokens=64,
                         response_format={"type": "json_schema",
                                          "json_schema": {"name": "person", "schema": schema}},
                         **GREEDY)
    data = json.loads(result.content)
    assert isinstance(data["name"], str) and isinstance(data["age"], int)


def test_embeddings(client: EitherClient) -> None:
    vectors = client.embed(["a cat", "a dog", "stock market"], model="gemma-3-270m")
    assert len(vectors) == 3 and len(vectors[0]) == 640
    assert vectors[0] != vectors[2]


def test_context_window_is_the_per_slot_context(client: EitherClient,
                                                embedded_server: object) -> None:
    info = client.show("gemma-3-270m")
    props = requests.get(embedded_server.url + "/props", timeout=5).json()  # type: ignore[attr-defined]
    assert info.context_window == props["default_generation_settings"]["n_ctx"] == 2048
    assert info.max_context and info.max_context > info.context_window  # trained maximum


def test_context_overflow_is_typed(client: EitherClient) -> None:
    long_prompt = "word " * 5000
    with pytest.raises(ContextOverflow) as info:
        client.chat(long_prompt, model="gemma-3-270m", max_tokens=8)
    assert info.value.n_ctx == 2048 and (info.value.n_prompt_tokens or 0) > 2048
    assert info.value.status == 400 and "context" in str(info.value).lower()


def test_refused_port_fails_fast_with_connection_failed() -> None:
    for mode in ("sync", "async"):
        c = EitherClient(mode, "http://127.0.0.1:9", max_retries=1)
        started = time.monotonic()
        with pytest.raises(ConnectionFailed) as info:
            c.chat("hi", model="x")
        assert time.monotonic() - started < 3
        assert "127.0.0.1:9" in str(info.value) and info.value.hint
        c.close()


def _slots_busy(url: str) -> bool:
    return any(s["is_processing"] for s in requests.get(url + "/slots", timeout=5).json())


def _wait_slots_idle(url: str, within: float = 3.0) -> float:
    started = time.monotonic()
    while _slots_busy(url):
        assert time.monotonic() - started < within, "server kept generating after the break"
        time.sleep(0.01)
    return time.monotonic() - started


def test_break_out_closes_the_connection_and_the_server_stops(embedded_server: object) -> None:
    """Breaking out (sync) or aclose()/cancel (async) drops the socket at once, and
    llama.cpp cancels the slot: verified on the server's own /slots."""
    url = embedded_server.url  # type: ignore[attr-defined]
    port = int(url.rsplit(":", 1)[1])
    prompt, kw = "Count from one to one hundred.", {"max_tokens": 64, **GREEDY}
    baseline = established_to(port)
    with Client(url) as c:
        for d in c.chat_stream(prompt, model="gemma-3-270m", **kw):
            if d.content:
                assert _slots_busy(url) and established_to(port) == baseline + 1
                break
        assert established_to(port) == baseline
        _wait_slots_idle(url)

    async def break_async() -> int:
        async with AsyncClient(url) as ac:
            stream = ac.chat_stream(prompt, model="gemma-3-270m", **kw)
            async for d in stream:
                if d.content:
                    assert established_to(port) == baseline + 1
                    break
            await stream.aclose()
            await asyncio.sleep(0.05)  # aiohttp closes the transport on the next loop turn
            return established_to(port)

    assert asyncio.run(break_async()) == baseline
    _wait_slots_idle(url)

    async def cancel_task() -> int:
        async with AsyncClient(url) as ac:
            started = asyncio.Event()

            async def consume() -> None:
                async for d in ac.chat_stream(prompt, model="gemma-3-270m", **kw):
                    if d.content:
                        started.set()

            task = asyncio.create_task(consume())
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.sleep(0.05)
            return established_to(port)

    assert asyncio.run(cancel_task()) == baseline
    _wait_slots_idle(url)


def test_sync_streams_unframe_chunks_themselves_and_reuse_one_connection(
        embedded_server: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """llama.cpp streams with chunked framing: the blocking client unframes it itself
    (one read per wake-up), gets the same text as the async client, and leaves no socket
    behind (llama.cpp may close its side after a stream; the next call then reconnects)."""
    from localllm.wire import chunked

    fed: list[int] = []
    original = chunked.ChunkedDecoder.feed

    def counting(self: chunked.ChunkedDecoder, data: bytes) -> bytes:
        fed.append(len(data))
        return original(self, data)

    monkeypatch.setattr(chunked.ChunkedDecoder, "feed", counting)
    url = embedded_server.url  # type: ignore[attr-defined]
    port = int(url.rsplit(":", 1)[1])
    kw = {"model": "gemma-3-270m", "max_tokens": 16, **GREEDY}
    baseline = established_to(port)
    with Client(url, backend="openai") as c:
        texts = []
        for _ in range(3):
            texts.append("".join(d.content for d in c.chat_stream("Say hello.", **kw)))
            assert established_to(port) <= baseline + 1  # at most the one pooled socket
    assert established_to(port) == baseline
    assert fed, "the stream did not go through the chunked decoder"
    assert texts[0] and texts == [texts[0]] * 3

    async def async_text() -> str:
        async with AsyncClient(url, backend="openai") as ac:
            return "".join([d.content async for d in ac.chat_stream("Say hello.", **kw)])
    assert asyncio.run(async_text()) == texts[0]


def test_repeated_asyncio_run_with_one_async_client(embedded_server: object) -> None:
    ac = AsyncClient(embedded_server.url)  # type: ignore[attr-defined]

    async def once() -> str:
        return (await ac.chat("Hi", model="gemma-3-270m", max_tokens=4, **GREEDY)).content

    outputs = [asyncio.run(once()) for _ in range(3)]
    assert all(outputs) and len(set(outputs)) == 1


def test_concurrent_async_streams_share_the_server(embedded_server: object) -> None:
    async def many() -> list[str]:
        async with AsyncClient(embedded_server.url) as ac:  # type: ignore[attr-defined]
            results = await asyncio.gather(*[
                ac.chat(f"Say {i}.", model="gemma-3-270m", max_tokens=8, **GREEDY)
                for i in range(4)])
        return [r.content for r in results]

    assert all(asyncio.run(many()))
