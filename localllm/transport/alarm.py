"""``Alarm``: time limits for the successive awaits of one request, on one timer.

Each ``await alarm.wait(seconds, awaitable)`` has the contract of ``async with
asyncio.timeout(seconds)`` around that single await — the await is cancelled when the time
is up and ``asyncio.TimeoutError`` raised instead; a cancellation from outside stays a
cancellation (the task's ``uncancel()`` count tells the two apart).

The timer moves lazily. A wait whose deadline is later than the armed one keeps the timer;
when it fires early it re-arms for the real deadline. The reads of a stream (the idle
limit moves forward on every read) then cost no timer operation at all, where a timer per
read costs a push into the loop's heap and leaves a cancelled handle there, which makes
every later push — the next request's included — dearer.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")

if sys.version_info >= (3, 11):

    class Alarm:
        __slots__ = ("_armed_for", "_deadline", "_fired", "_handle", "_task")

        def __init__(self) -> None:
            self._handle: asyncio.Handle | None = None
            self._armed_for = 0.0  # the deadline the handle fires at
            self._task: asyncio.Task[object] | None = None  # the waiting task; None between
            self._deadline = 0.0
            self._fired = False

        async def wait(self, seconds: float | None, awaitable: Awaitable[T]) -> T:
            if seconds is None:
                return await awaitable
            task = asyncio.current_task()
            assert task is not None, "Alarm.wait() runs inside a task"
            loop = asyncio.get_running_loop()
            deadline = loop.time() + seconds
            handle = self._handle
            if handle is None or self._armed_for > deadline:  # an earlier deadline: re-arm
                if handle is not None:
                    handle.cancel()
                self._armed_for = deadline
                # a limit already reached expires before the await's next step, as in
                # asyncio.timeout: call_soon, not a timer that runs after ready callbacks
                self._handle = loop.call_soon(self._expire) if seconds <= 0 \
                    else loop.call_at(deadline, self._expire)
            self._deadline = deadline
            self._task = task
            self._fired = False
            cancelling = task.cancelling()
            try:
                result = await awaitable
            except asyncio.CancelledError:
                if self._fired and task.uncancel() <= cancelling:
                    raise asyncio.TimeoutError() from None
                raise
            finally:
                self._task = None
            if self._fired:  # expired as the await finished: undo our request, as
                task.uncancel()  # asyncio.timeout does
            return result

        def _expire(self) -> None:
            self._handle = None
            task = self._task
            if task is None:  # between waits: the next wait arms again
                return
            loop = asyncio.get_running_loop()
            if loop.time() < self._deadline:  # the deadline moved on since the timer was set
                self._armed_for = self._deadline
                self._handle = loop.call_at(self._deadline, self._expire)
                return
            self._fired = True
            task.cancel()

        def close(self) -> None:
            """Drop the timer; the request is over."""
            if self._handle is not None:
                self._handle.cancel()
                self._handle = None

else:  # pragma: no cover - Python 3.10: aiohttp depends on async-timeout there
    from async_timeout import timeout as _timeout

    class Alarm:  # type: ignore[no-redef]
        __slots__ = ()

        async def wait(self, seconds: float | None, awaitable: Awaitable[T]) -> T:
            async with _timeout(seconds):
                return await awaitable

        def close(self) -> None:
            pass
