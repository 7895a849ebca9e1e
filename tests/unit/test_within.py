"""``within``: a time limit on one await that never mistakes an outside cancellation for a
timeout (the reads of every async stream wait through it)."""

from __future__ import annotations

import asyncio

import pytest

from localllm.transport._within import within


def test_returns_the_result_and_leaves_no_timer_behind() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert await within(5.0, asyncio.sleep(0, "ok")) == "ok"
        assert await within(None, asyncio.sleep(0, "no limit")) == "no limit"
        assert not [h for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]
        await asyncio.sleep(0)  # the task was not left with a pending cancellation
    asyncio.run(main())


def test_time_up_raises_timeout_error_and_the_task_carries_on() -> None:
    async def main() -> str:
        with pytest.raises(asyncio.TimeoutError):
            await within(0.01, asyncio.sleep(10))
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0
        await asyncio.sleep(0.02)  # no stray cancellation arrives later
        return "carried on"
    assert asyncio.run(main()) == "carried on"


def test_outside_cancellation_stays_a_cancellation() -> None:
    async def main() -> None:
        waiter = asyncio.ensure_future(within(10.0, asyncio.sleep(10)))
        await asyncio.sleep(0.01)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter

        async def cancelled_as_time_runs_out() -> None:
            await within(0.01, asyncio.sleep(10))
        both = asyncio.ensure_future(cancelled_as_time_runs_out())
        await asyncio.sleep(0.01)
        both.cancel()  # outside cancel around the moment the limit fires: still cancelled
        with pytest.raises(asyncio.CancelledError):
            await both
    asyncio.run(main())


def test_same_contract_as_asyncio_timeout() -> None:
    async def with_asyncio(seconds: float, delay: float) -> str:
        async with asyncio.timeout(seconds):
            await asyncio.sleep(delay)
        return "done"

    async def with_within(seconds: float, delay: float) -> str:
        await within(seconds, asyncio.sleep(delay))
        return "done"

    async def outcome(fn: object, seconds: float, delay: float) -> str:
        try:
            return await fn(seconds, delay)  # type: ignore[operator,no-any-return]
        except asyncio.TimeoutError:
            return "timeout"

    async def main() -> None:
        for seconds, delay in ((0.05, 0.0), (0.01, 0.05), (0.0, 0.0), (-1.0, 0.01)):
            assert await outcome(with_within, seconds, delay) == \
                await outcome(with_asyncio, seconds, delay), (seconds, delay)
    asyncio.run(main())
