"""``Slots``: at most ``capacity`` requests at once to one server, from every thread and
every event loop of the process.

One object serves both clients: LangChain's ``batch`` runs in threads while an agent runs
in asyncio tasks, and both must count against the same server. So waiters are queued in
one FIFO and a freed slot is handed to the next waiter directly (no thundering herd, no
overtaking), whether it waits on a ``threading.Event`` or on a future of its own loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque


class _Waiter:
    __slots__ = ("cancelled", "granted")

    def __init__(self) -> None:
        self.granted = False
        self.cancelled = False

    def wake(self) -> None:
        raise NotImplementedError


class _ThreadWaiter(_Waiter):
    __slots__ = ("event",)

    def __init__(self) -> None:
        super().__init__()
        self.event = threading.Event()

    def wake(self) -> None:
        self.event.set()


class _TaskWaiter(_Waiter):
    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()

    def wake(self) -> None:
        self.loop.call_soon_threadsafe(_resolve, self.future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Slots:
    """A counting semaphore shared by threads and event loops, FIFO, resizable."""

    __slots__ = ("_lock", "_waiters", "capacity", "used")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._waiters: deque[_Waiter] = deque()
        self._lock = threading.Lock()

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._waiters if not w.cancelled)

    def try_take(self) -> bool:
        """Take a free slot without waiting (and without overtaking a waiter)."""
        with self._lock:
            if self.used < self.capacity and not self._waiters:
                self.used += 1
                return True
            return False

    def wait(self, timeout: float | None) -> bool:
        """Block until a slot is ours (True) or ``timeout`` runs out (False)."""
        waiter = _ThreadWaiter()
        if self._enqueue(waiter):
            return True
        if waiter.event.wait(timeout):
            return True
        return self._abandon(waiter)

    async def wait_async(self, timeout: float | None) -> bool:
        """``wait`` for a task: the same queue, woken on its own loop."""
        waiter = _TaskWaiter(asyncio.get_running_loop())
        if self._enqueue(waiter):
            return True
        try:
            await asyncio.wait_for(waiter.future, timeout)
            return True
        except asyncio.TimeoutError:
            return self._abandon(waiter)
        except BaseException:  # cancelled: a slot granted meanwhile goes to the next one
            if self._abandon(waiter):
                self.give_back()
            raise

    def give_back(self) -> None:
        """Free a slot: the longest waiter gets it, else it is free."""
        with self._lock:
            waiter = self._next_waiter()
            if waiter is None:
                self.used -= 1
                return
            waiter.granted = True
        try:
            waiter.wake()
        except RuntimeError:  # its event loop is closed: nobody will take the slot
            self.give_back()

    def resize(self, capacity: int) -> None:
        """A new capacity (``"auto"`` learned it); more room admits waiters at once."""
        woken = []
        with self._lock:
            self.capacity = capacity
            while self.used < self.capacity:
                waiter = self._next_waiter()
                if waiter is None:
                    break
                waiter.granted = True
                self.used += 1
                woken.append(waiter)
        for waiter in woken:
            try:
                waiter.wake()
            except RuntimeError:
                self.give_back()

    def _next_waiter(self) -> _Waiter | None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.cancelled:
                return waiter
        return None

    def _enqueue(self, waiter: _Waiter) -> bool:
        """True when a slot was free (taken at once); else ``waiter`` is queued."""
        with self._lock:
            if self.used < self.capacity and not self._waiters:
                self.used += 1
                return True
            self._waiters.append(waiter)
            return False

    def _abandon(self, waiter: _Waiter) -> bool:
        """Stop waiting. True when the slot was granted meanwhile: the caller holds it."""
        with self._lock:
            if waiter.granted:
                return True
            waiter.cancelled = True
            return False
