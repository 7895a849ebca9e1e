"""``await within(seconds, awaitable)``: one await under a time limit.

Same contract as ``async with asyncio.timeout(seconds)`` around a single await — the
await is cancelled when the time is up and ``asyncio.TimeoutError`` raised instead; a
cancellation from outside stays a cancellation (the task's ``uncancel()`` count tells the
two apart) — with one timer handle and no context-manager object. Every waiting read of a
stream goes through here, and ``asyncio.timeout`` costs about three times as much.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")

if sys.version_info >= (3, 11):

    async def within(seconds: float | None, awaitable: Awaitable[T]) -> T:
        if seconds is None:
            return await awaitable
        task = asyncio.current_task()
        assert task is not None, "within() runs inside a task"
        cancelling = task.cancelling()
        fired = []  # set by the timer: this cancellation is ours

        def expire() -> None:
            fired.append(True)
            task.cancel()

        loop = asyncio.get_running_loop()  # a limit already reached: expire at once
        handle = loop.call_soon(expire) if seconds <= 0 else loop.call_later(seconds, expire)
        try:
            result = await awaitable
        except asyncio.CancelledError:
            if fired and task.uncancel() <= cancelling:
                raise asyncio.TimeoutError() from None
            raise
        finally:
            handle.cancel()
        if fired:  # expired as the await finished: undo our request, as asyncio.timeout does
            task.uncancel()
        return result

else:  # pragma: no cover - Python 3.10: aiohttp depends on async-timeout there
    from async_timeout import timeout as _timeout

    async def within(seconds: float | None, awaitable: Awaitable[T]) -> T:
        async with _timeout(seconds):
            return await awaitable
