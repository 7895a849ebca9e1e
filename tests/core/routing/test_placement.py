"""The pure routing parts: placement order per strategy, ejection cooldowns, and the slots
that threads and event loops share."""

from __future__ import annotations

import asyncio
import random
import threading
import time

from localllm.errors import ConnectionFailed, ModelNotFound, QueueTimeout, ServerError
from localllm.request import chat_call
from localllm.routing import strategies
from localllm.routing.affinity import conversation_key
from localllm.routing.health import BASE_COOLDOWN, MAX_COOLDOWN, Health, ejects
from localllm.routing.servers import Server, server_key
from localllm.routing.slots import Slots

URLS = ["http://a", "http://b", "http://c"]


def servers(*loads: int) -> list[Server]:
    out = []
    for i, load in enumerate(loads):
        s = Server(URLS[i])
        s.active = load
        out.append(s)
    return out


def test_failover_starts_at_the_preferred_and_puts_ejected_last() -> None:
    ss = servers(0, 0, 0)
    rng = random.Random(1)
    assert strategies.order("failover", URLS, ss, 0.0, rng, preferred=1) == [1, 2, 0]
    ss[1].health.failed(0.0)
    assert strategies.order("failover", URLS, ss, 0.1, rng, preferred=1) == [2, 0, 1]
    # the cooldown is over: back in its place (as the probe)
    assert strategies.order("failover", URLS, ss, BASE_COOLDOWN + 0.1, rng, 1) == [1, 2, 0]


def test_least_busy_never_places_on_the_busiest_of_three() -> None:
    ss = servers(5, 0, 1)
    rng = random.Random(7)
    firsts = [strategies.order("least_busy", URLS, ss, 0.0, rng)[0] for _ in range(200)]
    assert 0 not in firsts  # power of two choices: the busiest loses every comparison
    assert set(firsts) == {1, 2}
    assert all(strategies.order("least_busy", URLS, ss, 0.0, rng)[1:] in ([2, 0], [1, 0])
               for _ in range(20))


def test_least_busy_ties_are_broken_at_random() -> None:
    ss = servers(0, 0, 0)
    rng = random.Random(3)
    counts = [0, 0, 0]
    for _ in range(300):
        counts[strategies.order("least_busy", URLS, ss, 0.0, rng)[0]] += 1
    assert min(counts) > 60, counts


def test_affinity_keeps_the_server_until_bounded_load_or_saturation() -> None:
    ss = servers(1, 0, 0)
    rng = random.Random(0)
    assert strategies.order("affinity", URLS, ss, 0.0, rng, sticky=0)[0] == 0
    ss[0].active = 3  # 4 after placing: over 1.5 * 4 / 3 + 1 = 3
    assert strategies.order("affinity", URLS, ss, 0.0, rng, sticky=0)[0] != 0
    ss[0].active = 0
    ss[0].slots = Slots(1)
    ss[0].queued = 1  # saturated: its only slot is taken
    assert strategies.order("affinity", URLS, ss, 0.0, rng, sticky=0)[0] != 0


def test_affinity_places_new_conversations_on_the_fewest_conversations() -> None:
    ss = servers(0, 0, 0)
    ss[0].conversations, ss[1].conversations, ss[2].conversations = 3, 1, 2
    assert strategies.order("affinity", URLS, ss, 0.0, random.Random(0))[0] == 1


def test_an_ejected_conversation_server_is_left() -> None:
    ss = servers(0, 0, 0)
    ss[2].health.failed(10.0)
    assert strategies.order("affinity", URLS, ss, 10.5, random.Random(0), sticky=2)[0] != 2


def test_conversation_key_is_the_opening_or_the_session() -> None:
    turn1 = chat_call([{"role": "system", "content": "S"}, {"role": "user", "content": "Q1"}],
                      model="m")
    turn2 = chat_call([{"role": "system", "content": "S"}, {"role": "user", "content": "Q1"},
                       {"role": "assistant", "content": "A1"},
                       {"role": "user", "content": "Q2"}], model="m")
    other = chat_call([{"role": "system", "content": "S"}, {"role": "user", "content": "Q9"}],
                      model="m")
    assert conversation_key(turn1, None) == conversation_key(turn2, None)
    assert conversation_key(turn1, None) != conversation_key(other, None)
    assert conversation_key(turn1, "s1") == conversation_key(other, "s1") == "session:s1"


def test_cooldown_doubles_and_a_probe_readmits() -> None:
    h = Health()
    assert h.failed(0.0) == BASE_COOLDOWN
    assert not h.usable(0.5) and h.usable(BASE_COOLDOWN)
    assert h.placed(BASE_COOLDOWN)  # the probe
    assert not h.usable(BASE_COOLDOWN)  # one probe at a time
    assert h.failed(2.0) == 2 * BASE_COOLDOWN
    for _ in range(10):
        h.failed(3.0)
    assert h.ejected_until == 3.0 + MAX_COOLDOWN
    assert h.failed(4.0, retry_after=30.0) == MAX_COOLDOWN
    h.succeeded()
    assert h.usable(4.0) and h.failures_in_row == 0


def test_what_ejects() -> None:
    assert ejects(ConnectionFailed("refused"))
    assert ejects(ServerError("boom", status=500))
    assert not ejects(QueueTimeout("busy"))
    assert not ejects(ModelNotFound("no such model"))


def test_one_server_key_per_box() -> None:
    assert server_key("http://H:8080/v1") == server_key("http://h:8080/") == "http://h:8080"


def test_slots_from_threads_never_exceed_capacity_and_are_fifo() -> None:
    slots = Slots(2)
    inside, peak, order = [0], [0], []
    lock = threading.Lock()

    def work(i: int) -> None:
        assert slots.wait(5.0)
        with lock:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
            order.append(i)
        time.sleep(0.02)
        with lock:
            inside[0] -= 1
        slots.give_back()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2 and sorted(order) == list(range(12))
    assert slots.used == 0 and slots.waiting == 0


def test_slots_shared_by_a_thread_and_two_event_loops() -> None:
    slots = Slots(1)
    inside, peak = [0], [0]
    lock = threading.Lock()

    def enter() -> None:
        with lock:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])

    def leave() -> None:
        with lock:
            inside[0] -= 1
        slots.give_back()

    async def task() -> None:
        assert await slots.wait_async(5.0)
        enter()
        await asyncio.sleep(0.01)
        leave()

    async def many() -> None:
        await asyncio.gather(*(task() for _ in range(6)))

    def blocking() -> None:
        for _ in range(6):
            assert slots.wait(5.0)
            enter()
            time.sleep(0.01)
            leave()

    workers = [threading.Thread(target=asyncio.run, args=(many(),)) for _ in range(2)]
    workers.append(threading.Thread(target=blocking))
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert peak[0] == 1 and slots.used == 0


def test_a_timed_out_or_cancelled_waiter_gives_up_its_place() -> None:
    slots = Slots(1)
    assert slots.try_take()
    assert not slots.wait(0.05)

    async def cancelled() -> None:
        waiter = asyncio.ensure_future(slots.wait_async(None))
        await asyncio.sleep(0.01)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)

    asyncio.run(cancelled())
    slots.give_back()  # nobody waits any more: the slot is free again
    assert slots.used == 0 and slots.try_take()


def test_resize_admits_waiters() -> None:
    slots = Slots(1)
    assert slots.try_take()
    got: list[bool] = []
    t = threading.Thread(target=lambda: got.append(slots.wait(5.0)))
    t.start()
    time.sleep(0.05)
    slots.resize(2)
    t.join(2)
    assert got == [True] and slots.used == 2
