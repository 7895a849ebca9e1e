"""Routing through the real clients over real sockets, on fake Ollama servers that count
what reaches them: spread, caps shared by threads, tasks and several clients, ejection,
the session header and the endpoint state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from localllm import AsyncClient, Client, Timeouts
from localllm.errors import QueueTimeout
from localllm.routing.health import BASE_COOLDOWN
from tests.support.fake_ollama import FakeOllama, http_error, text_reply

MODEL = "llama3.2:1b"


@pytest.fixture
def two() -> Iterator[tuple[FakeOllama, FakeOllama]]:
    a, b = FakeOllama(delay=0.01), FakeOllama(delay=0.01)
    yield a, b
    a.close()
    b.close()


def chats(server: FakeOllama) -> int:
    return sum(1 for _, path, _ in server.requests if path == "/api/chat")


def ask(client: Client, text: str, **kw: object) -> str:
    return client.chat(text, model=MODEL, **kw).content  # type: ignore[arg-type]


@pytest.mark.parametrize("routing", ["least_busy", "affinity"])
def test_sixteen_concurrent_conversations_are_spread(two: tuple[FakeOllama, FakeOllama],
                                                     routing: str) -> None:
    a, b = two
    with Client([a.url, b.url], backend="ollama", routing=routing) as client, \
            ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda i: ask(client, f"conversation {i}"), range(16)))
    assert answers == ["Hello from fake Ollama"] * 16
    assert 4 <= chats(a) <= 12 and chats(a) + chats(b) == 16, (chats(a), chats(b))


def test_affinity_keeps_each_conversation_on_its_server(two: tuple[FakeOllama, FakeOllama]
                                                        ) -> None:
    a, b = two
    with Client([a.url, b.url], backend="ollama", routing="affinity") as client:
        for i in range(16):  # one after the other: placement alone must balance them
            history = [{"role": "system", "content": f"You are agent {i}."},
                       {"role": "user", "content": "first"}]
            where = []
            for turn in range(3):
                before = chats(a)
                answer = ask(client, history)  # type: ignore[arg-type]
                where.append("a" if chats(a) > before else "b")
                history += [{"role": "assistant", "content": answer},
                            {"role": "user", "content": f"turn {turn + 2}"}]
            assert len(set(where)) == 1, (i, where)
        state = {s.url: s for s in client.endpoints_state()}
    assert chats(a) == chats(b) == 24
    assert state[a.url].conversations == state[b.url].conversations == 8


def test_session_id_names_the_conversation_and_travels_as_a_header(
        two: tuple[FakeOllama, FakeOllama]) -> None:
    a, b = two
    with Client([a.url, b.url], backend="ollama", routing="affinity") as client:
        for i in range(6):
            ask(client, f"unrelated prompt {i}", session_id="s-1")
    assert {chats(a), chats(b)} == {0, 6}
    sent = a.chat_headers + b.chat_headers
    assert all(h.get("X-Session-ID") == "s-1" for h in sent)
    with Client(a.url, backend="ollama", session_header="X-Route-Key") as client:
        ask(client, "hi", session_id="s-2")
        ask(client, "hi")
    assert a.chat_headers[-2].get("X-Route-Key") == "s-2"
    assert "X-Route-Key" not in a.chat_headers[-1]
    with Client(a.url, backend="ollama", session_header=None) as client:
        ask(client, "hi", session_id="s-3")
    assert "s-3" not in a.chat_headers[-1].values()


def test_max_concurrency_two_from_threads_and_several_clients() -> None:
    with FakeOllama(delay=0.03) as server:
        clients = [Client(server.url, backend="ollama", max_concurrency=2) for _ in range(2)]
        plain = Client(server.url, backend="ollama")  # the cap is the server's, process-wide
        every = [*clients, plain]
        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda i: ask(every[i % 3], f"q{i}"), range(12)))
        for c in every:
            c.close()
        assert answers == ["Hello from fake Ollama"] * 12
        assert server.peak_active == 2 and chats(server) == 12


def test_max_concurrency_two_from_tasks_on_two_loops() -> None:
    with FakeOllama(delay=0.03) as server:
        client = AsyncClient(server.url, backend="ollama", max_concurrency=2)

        async def burst() -> list[str]:
            results = await asyncio.gather(*(client.chat(f"q{i}", model=MODEL)
                                             for i in range(8)))
            await client.aclose()
            return [r.content for r in results]

        with ThreadPoolExecutor(2) as pool:
            runs = list(pool.map(lambda _: asyncio.run(burst()), range(2)))
        assert runs == [["Hello from fake Ollama"] * 8] * 2
        assert server.peak_active == 2 and chats(server) == 16
        assert client.endpoints_state()[0].in_flight == 0


def test_the_queue_wait_has_its_own_timeout_and_sends_nothing() -> None:
    with FakeOllama(delay=0.3) as server, \
            Client(server.url, backend="ollama", max_concurrency=1,
                   timeout=Timeouts(queue=0.2, first_token=0.5)) as client:
        with ThreadPoolExecutor(2) as pool:
            slow = pool.submit(ask, client, "first")
            time.sleep(0.1)
            with pytest.raises(QueueTimeout) as info:
                ask(client, "second")
            # waiting 0.2 s for the slot did not eat into first_token (0.5 s): the first
            # call's chunks come every 0.3 s and it still completes
            assert slow.result() == "Hello from fake Ollama"
        assert chats(server) == 1
        assert "max_concurrency" in str(info.value) and server.url in str(info.value)
        state = client.endpoints_state()[0]
        assert state.failures == 0 and state.ejected_until is None


def test_a_failing_server_is_ejected_then_probed_and_readmitted(
        two: tuple[FakeOllama, FakeOllama]) -> None:
    a, b = two
    a.enqueue(http_error(503, "server busy, please try again"))
    with Client([a.url, b.url], backend="ollama", routing="failover") as client:
        assert ask(client, "one") == "Hello from fake Ollama"  # failed over to b
        state = {s.url: s for s in client.endpoints_state()}
        assert state[a.url].failures == 1 and state[a.url].ejected_until is not None
        assert state[a.url].ejected_until > time.time()
        for _ in range(5):
            client.endpoints.preferred = 0  # failover would go back to a first
            ask(client, "more")
        assert chats(a) == 1  # ejected: not retried on every call
        time.sleep(BASE_COOLDOWN + 0.1)
        a.enqueue(text_reply("a is back"))
        client.endpoints.preferred = 0
        assert ask(client, "probe") == "a is back"
        state = {s.url: s for s in client.endpoints_state()}
        assert state[a.url].ejected_until is None and state[a.url].failures_in_row == 0
        assert state[b.url].requests == 6 and state[b.url].in_flight == 0


def test_a_dead_server_costs_one_refused_connection_per_cooldown(
        two: tuple[FakeOllama, FakeOllama]) -> None:
    a, b = two
    dead = a.url
    a.close()
    with Client([dead, b.url], backend="ollama", routing="least_busy") as client:
        for i in range(10):
            assert ask(client, f"q{i}") == "Hello from fake Ollama"
        state = {s.url: s for s in client.endpoints_state()}
    assert chats(b) == 10
    assert 1 <= state[dead].failures <= 2 and state[dead].requests == state[dead].failures
