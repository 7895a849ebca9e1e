"""One client object shared by many threads, event loops and framework batch calls, against an
echo server (each answer is its own request's text, word by word): every caller must get its
own answer, whole, and no connection may outlive the client.

A crossed wire (one caller reading another's stream), a pool that blocks or warns, a session
used from the wrong loop, or a socket left open would each show up here.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from localllm import AsyncClient, Client

from ..support.netstat import established_to
from .fault_server import OLLAMA, OPENAI, FaultServer, Step

MODEL = "fake-model"
ECHO = Step(echo=0.005)  # ~10 words per answer, 5 ms apart: the streams overlap
T = TypeVar("T")


def text(caller: int, request: int) -> str:
    """A different sentence for every request, so any crossed answer is seen."""
    return (f"caller {caller} request {request} asks for exactly these words back "
            f"{caller * 1000 + request}")


@pytest.fixture
def echo(server: FaultServer) -> FaultServer:
    server.default = ECHO
    return server


def _run_threads(n: int, work: Callable[[int], T]) -> list[T]:
    """``work(i)`` on ``n`` threads that all start at once; their results, in order."""
    start = threading.Barrier(n)

    def go(i: int) -> T:
        start.wait(timeout=10)
        return work(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(go, range(n)))


def _no_pool_warnings(caplog: pytest.LogCaptureFixture) -> None:
    noisy = [r.getMessage() for r in caplog.records if "pool" in r.getMessage().lower()]
    assert noisy == [], noisy


def _closed(server: FaultServer) -> None:
    assert server.wait_closed(2.0), [c for c in server.open_conns()]
    assert established_to(server.port) == 0


@pytest.mark.parametrize("backend", [OLLAMA, OPENAI])
def test_one_client_shared_by_32_threads(echo: FaultServer, backend: str,
                                         caplog: pytest.LogCaptureFixture) -> None:
    """Each thread sends 4 requests; every third thread also breaks out of a stream after its
    first word, which must close that connection and leave the others untouched."""
    caplog.set_level(logging.WARNING)
    client = Client(echo.url, backend=backend)

    def work(caller: int) -> list[tuple[str, str]]:
        got = []
        for request in range(4):
            asked = text(caller, request)
            if caller % 3 == 0 and request == 1:
                stream = client.chat_stream(asked, model=MODEL)
                first = next(iter(stream)).content
                stream.close()  # what ``break`` does to a generator
                got.append((asked.split()[0] + " ", first))
            else:
                result = client.chat(asked, model=MODEL)
                assert result.finish_reason == "stop"
                got.append((asked, result.content))
        return got

    try:
        pairs = [pair for answers in _run_threads(32, work) for pair in answers]
    finally:
        client.close()
    assert [asked for asked, _ in pairs] == [answer for _, answer in pairs]
    assert echo.chat_requests == 32 * 4
    assert echo.peak_open >= 16, f"only {echo.peak_open} requests overlapped"
    print(f"32 threads, one Client: {len(pairs)} answers, peak {echo.peak_open} open")
    _closed(echo)
    _no_pool_warnings(caplog)


@pytest.mark.parametrize("backend", [OLLAMA, OPENAI])
def test_one_async_client_from_4_threads_each_with_its_own_loops(echo: FaultServer,
                                                                 backend: str) -> None:
    """Every thread runs two ``asyncio.run``s of 8 concurrent chats plus one stream it
    leaves after the first word, all on the same ``AsyncClient``."""
    client = AsyncClient(echo.url, backend=backend)

    async def one_loop(caller: int, round_: int) -> list[tuple[str, str]]:
        asks = [text(caller, round_ * 100 + r) for r in range(8)]
        results = await asyncio.gather(*(client.chat(a, model=MODEL) for a in asks))
        stream = client.chat_stream(text(caller, round_ * 100 + 99), model=MODEL)
        async for delta in stream:
            first = delta.content
            break
        await stream.aclose()
        return [*zip(asks, [r.content for r in results], strict=True), ("caller ", first)]

    def work(caller: int) -> list[tuple[str, str]]:
        return [pair for round_ in range(2) for pair in asyncio.run(one_loop(caller, round_))]

    pairs = [pair for answers in _run_threads(4, work) for pair in answers]
    assert [asked for asked, _ in pairs] == [answer for _, answer in pairs]
    assert echo.chat_requests == 4 * 2 * 9
    assert echo.peak_open >= 8, f"only {echo.peak_open} requests overlapped"
    print(f"4 threads x 2 loops, one AsyncClient: {len(pairs)} answers, peak {echo.peak_open}")
    # each loop's session closed with its loop: nothing is left for aclose to close
    _closed(echo)
    asyncio.run(client.aclose())


@pytest.mark.frameworks
@pytest.mark.parametrize("backend", [OLLAMA, OPENAI])
def test_langchain_batch_and_abatch_with_max_concurrency_32(echo: FaultServer,
                                                            backend: str) -> None:
    from langchain_localllm import ChatLocalLLM

    llm = ChatLocalLLM(model=MODEL, base_url=echo.url, backend=backend)
    asks = [text(0, r) for r in range(64)]
    config: Any = {"max_concurrency": 32}
    try:
        answers = llm.batch(asks, config=config)
        assert [a.content for a in answers] == asks
        peak_sync = echo.peak_open
        llm.client.close()  # its kept-alive connections would count in the async peak
        _closed(echo)
        echo.reset()
        echo.default = ECHO
        answers = asyncio.run(llm.abatch(asks, config=config))
        assert [a.content for a in answers] == asks
        assert min(peak_sync, echo.peak_open) >= 16, (peak_sync, echo.peak_open)
        assert max(peak_sync, echo.peak_open) <= 32 + 1, "max_concurrency=32 not kept"
        print(f"batch/abatch of 64: peak {peak_sync}/{echo.peak_open} open")
    finally:
        llm.client.close()
        asyncio.run(llm.async_client.aclose())
    _closed(echo)


@pytest.mark.frameworks
@pytest.mark.parametrize("backend", [OLLAMA, OPENAI])
def test_llamaindex_stream_chat_from_16_threads(echo: FaultServer, backend: str) -> None:
    from llama_index.core.llms import ChatMessage

    from llamaindex_localllm import LocalLLM

    llm = LocalLLM(model=MODEL, base_url=echo.url, backend=backend, context_window=4096,
                   is_function_calling_model=True)

    def work(caller: int) -> list[tuple[str, str]]:
        got = []
        for request in range(3):
            asked = text(caller, request)
            deltas, last = [], None
            for last in llm.stream_chat([ChatMessage(role="user", content=asked)]):
                deltas.append(last.delta or "")
            assert last is not None and last.message.content == asked
            got.append((asked, "".join(deltas)))
        return got

    try:
        pairs = [pair for answers in _run_threads(16, work) for pair in answers]
    finally:
        llm.client.close()
    assert [asked for asked, _ in pairs] == [answer for _, answer in pairs]
    assert echo.chat_requests == 16 * 3
    assert echo.peak_open >= 8, f"only {echo.peak_open} requests overlapped"
    print(f"16 threads stream_chat: {len(pairs)} answers, peak {echo.peak_open} open")
    _closed(echo)
