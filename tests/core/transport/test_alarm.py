"""``Alarm``: time limits on the successive awaits of one request, on one lazily moved timer;
a time-up is a ``TimeoutError``, an outside cancellation stays a cancellation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from localllm.transport.alarm import Alarm


def _live_timers(loop: asyncio.AbstractEventLoop) -> list[Any]:
    return [h for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]


def test_returns_the_result_and_close_leaves_no_timer_behind() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        alarm = Alarm()
        assert await alarm.wait(5.0, asyncio.sleep(0, "ok")) == "ok"
        assert await alarm.wait(None, asyncio.sleep(0, "no limit")) == "no limit"
        alarm.close()
        assert not _live_timers(loop)
        await asyncio.sleep(0)  # the task was not left with a pending cancellation
    asyncio.run(main())


def test_later_deadlines_reuse_the_timer_an_earlier_one_rearms_it() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        alarm = Alarm()
        for _ in range(50):  # an idle limit moving forward with every read
            await alarm.wait(60.0, asyncio.sleep(0))
        assert len(loop._scheduled) == 1  # type: ignore[attr-defined]
        first = _live_timers(loop)[0]
        await alarm.wait(1.0, asyncio.sleep(0))  # earlier than the armed deadline
        (second,) = _live_timers(loop)
        assert first.cancelled() and second.when() < first.when()
        alarm.close()
    asyncio.run(main())


def test_time_up_after_the_deadline_moved_on() -> None:
    async def main() -> None:
        alarm = Alarm()
        loop = asyncio.get_running_loop()
        await alarm.wait(0.05, asyncio.sleep(0))  # armed for +0.05 s
        await asyncio.sleep(0.03)
        started = loop.time()
        with pytest.raises(asyncio.TimeoutError):  # the timer fires early and re-arms
            await alarm.wait(0.05, asyncio.sleep(10))
        assert 0.045 <= loop.time() - started < 1.0
        alarm.close()
    asyncio.run(main())


def test_firing_between_waits_does_nothing_and_the_next_wait_arms_again() -> None:
    async def main() -> str:
        alarm = Alarm()
        await alarm.wait(0.01, asyncio.sleep(0))
        await asyncio.sleep(0.03)  # the timer fires while nobody waits
        assert await alarm.wait(0.5, asyncio.sleep(0.01, "fine")) == "fine"
        with pytest.raises(asyncio.TimeoutError):
            await alarm.wait(0.01, asyncio.sleep(10))
        alarm.close()
        return "carried on"
    assert asyncio.run(main()) == "carried on"


def test_time_up_raises_timeout_error_and_the_task_carries_on() -> None:
    async def main() -> str:
        alarm = Alarm()
        with pytest.raises(asyncio.TimeoutError):
            await alarm.wait(0.01, asyncio.sleep(10))
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0
        await asyncio.sleep(0.02)  # no stray cancellation arrives later
        assert await alarm.wait(1.0, asyncio.sleep(0, "again")) == "again"
        alarm.close()
        return "carried on"
    assert asyncio.run(main()) == "carried on"


def test_outside_cancellation_stays_a_cancellation() -> None:
    async def main() -> None:
        waiter = asyncio.ensure_future(Alarm().wait(10.0, asyncio.sleep(10)))
        await asyncio.sleep(0.01)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter

        async def cancelled_as_time_runs_out() -> None:
            await Alarm().wait(0.01, asyncio.sleep(10))
        both = asyncio.ensure_future(cancelled_as_time_runs_out())
        await asyncio.sleep(0.01)
        both.cancel()  # outside cancel around the moment the limit fires: still cancelled
        with pytest.raises(asyncio.CancelledError):
            await both
    asyncio.run(main())


def test_each_wait_has_the_contract_of_asyncio_timeout() -> None:
    async def with_asyncio(seconds: float, delay: float) -> str:
        async with asyncio.timeout(seconds):
            await asyncio.sleep(delay)
        return "done"

    async def outcome(fn: Any, seconds: float, delay: float) -> str:
        try:
            return await fn(seconds, delay)  # type: ignore[no-any-return]
        except asyncio.TimeoutError:
            return "timeout"

    async def main() -> None:
        alarm = Alarm()  # one alarm through all cases, as through the waits of one request

        async def with_alarm(seconds: float, delay: float) -> str:
            await alarm.wait(seconds, asyncio.sleep(delay))
            return "done"

        cases = ((0.05, 0.0), (0.01, 0.05), (0.0, 0.0), (-1.0, 0.01), (5.0, 0.01),
                 (0.02, 0.0), (0.01, 0.05))
        for seconds, delay in cases:
            assert await outcome(with_alarm, seconds, delay) == \
                await outcome(with_asyncio, seconds, delay), (seconds, delay)
        alarm.close()
    asyncio.run(main())
