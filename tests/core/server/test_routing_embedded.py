"""Routing over two REAL llama.cpp servers (xllamacpp + gemma-3-270m) on loopback, with
their prompt caches on: conversations stay where their prompt is cached, ``"auto"`` reads
the server's slots, and a server killed mid-run loses no request that had not begun its
answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from localllm import Client, Timeouts
from localllm.errors import StreamInterrupted
from localllm.server import EmbeddedServer

pytestmark = pytest.mark.integration

GREEDY = {"temperature": 0, "seed": 42, "max_tokens": 8}
TIMEOUTS = Timeouts(connect=5, first_token=120, idle=30)


@pytest.fixture(scope="module")
def pair() -> Iterator[list[EmbeddedServer]]:
    servers = [EmbeddedServer(cache_prompt=True, n_threads=1).start() for _ in range(2)]
    yield servers
    for s in servers:
        s.stop()


def served_by(client: Client) -> dict[str, int]:
    return {s.url: s.requests for s in client.endpoints_state()}


def test_affinity_keeps_conversations_where_their_prompt_is_cached(
        pair: list[EmbeddedServer]) -> None:
    with Client([s.url for s in pair], routing="affinity", timeout=TIMEOUTS) as client:
        for i in range(4):
            facts = " ".join(f"Fact {k}: the code of item {i}-{k} is {i * 31 + k}."
                             for k in range(12))
            history: list[dict[str, str]] = [
                {"role": "system", "content": f"Conversation {i}. {facts}"},
                {"role": "user", "content": "What is the code of item 0?"}]
            places, cached = [], []
            for turn in range(3):
                before = served_by(client)
                result = client.chat(history, **GREEDY)  # type: ignore[arg-type]
                after = served_by(client)
                places.append(next(u for u in after if after[u] > before[u]))
                assert result.usage is not None and result.timings is not None
                cached.append((result.timings.prompt_n, result.usage.prompt_tokens))
                history += [{"role": "assistant", "content": result.content},
                            {"role": "user", "content": f"And item {turn + 1}?"}]
            assert len(set(places)) == 1, places
            for processed, prompt in cached[1:]:  # later turns: only the new part
                assert processed is not None and prompt is not None
                assert processed < prompt / 2, cached
        conversations = [s.conversations for s in client.endpoints_state()]
    assert conversations == [2, 2]


def test_auto_concurrency_is_the_servers_slot_count(pair: list[EmbeddedServer]) -> None:
    with Client(pair[0].url, max_concurrency="auto", timeout=TIMEOUTS) as client:
        assert client.chat("Say hi.", **GREEDY).content is not None  # type: ignore[arg-type]
        state = client.endpoints_state()[0]
    assert state.max_concurrency == pair[0].n_parallel == 2


def test_a_killed_server_loses_no_request_that_had_not_begun(pair: list[EmbeddedServer]
                                                            ) -> None:
    """Four threads send three requests each; one server is stopped after the first
    round. A request whose answer had begun there may end as StreamInterrupted (with its
    partial answer); every other request must complete, on the survivor."""
    survivor, victim = pair
    victim_url = victim.url
    first_round = threading.Barrier(5)
    with Client([survivor.url, victim_url], routing="least_busy", timeout=TIMEOUTS,
                max_retries=1) as client:
        def worker(n: int) -> list[str]:
            outcomes = []
            for k in range(3):
                try:
                    result = client.chat(f"Count from {n} to {n + k + 3}.", **GREEDY)  # type: ignore[arg-type]
                    outcomes.append("ok" if result.finish_reason else "no finish")
                except StreamInterrupted as exc:
                    assert exc.partial is not None and exc.url == victim_url
                    outcomes.append("interrupted")
                if k == 0:
                    first_round.wait(120)
            return outcomes

        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(worker, n) for n in range(4)]
            first_round.wait(120)
            victim.stop()
            outcomes = [o for f in futures for o in f.result(timeout=300)]
        state = {s.url: s for s in client.endpoints_state()}
    assert outcomes.count("ok") + outcomes.count("interrupted") == 12, outcomes
    assert state[survivor.url].requests >= 8  # the rounds after the kill went there
    assert state[victim_url].in_flight == state[survivor.url].in_flight == 0
