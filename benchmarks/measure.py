"""Run one client in this process and print one JSON line:
``python -m benchmarks.measure CLIENT MODE URL PROTOCOL N CHUNKS``.

``cpu``: process CPU per streamed chunk, best of N warm requests. ``ttft``: median wall time
from the call to the first content piece on a warm connection. ``concurrent``: N
concurrent async streams after a warm-up round of the same size (wall, CPU, peak RSS
delta, TCP connections the server accepted in each round). Every stream is checked to
deliver all CHUNKS pieces, so a client that drops content cannot look fast.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import statistics
import sys
import time
import urllib.request
from typing import Any

from . import floors, ours, peers  # noqa: F401  (they fill the registry)
from ._common import REGISTRY, AsyncStream, SyncStream, pin_to_core


class IncompleteStream(AssertionError):
    pass


def _check(got: int, chunks: int) -> int:
    if chunks and got != chunks:
        raise IncompleteStream(f"stream delivered {got} of {chunks} content pieces")
    return got


def _status_kib(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process. Not ``ru_maxrss``: Linux carries
    that over from the parent through fork and exec, so it would report the runner's peak."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def server_stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url + "/stats") as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def cpu_result(per_request: list[float]) -> dict[str, Any]:
    """Best of the N requests (as ``timeit`` advises: interference only ever adds time),
    with the median alongside. On a shared 2-core VM the median of single requests swings
    ±50 % from one minute to the next; the best stays within a few per cent."""
    return {"cpu_us_per_chunk": min(per_request),
            "median_us_per_chunk": statistics.median(per_request)}


def measure_sync(stream: SyncStream, mode: str, n: int, chunks: int) -> dict[str, Any]:
    for _ in range(2):  # warm-up: connection, imports, caches
        _check(sum(1 for _ in stream()), chunks)
    if mode == "ttft":
        waits = []
        for _ in range(n):
            started = time.perf_counter()
            it = stream()
            next(it)
            waits.append(time.perf_counter() - started)
            _check(1 + sum(1 for _ in it), chunks)
        return {"ttft_us": statistics.median(waits) * 1e6}
    per_request = []
    for _ in range(n):
        cpu0 = time.process_time()
        got = _check(sum(1 for _ in stream()), chunks)
        per_request.append((time.process_time() - cpu0) / got * 1e6)
    return cpu_result(per_request)


async def _count(stream: AsyncStream, chunks: int) -> int:
    return _check(sum([1 async for _ in stream()]), chunks)


async def measure_async(stream: AsyncStream, mode: str, n: int, chunks: int, url: str
                        ) -> dict[str, Any]:
    if mode == "concurrent":
        rss0 = _status_kib("VmRSS")
        s0 = await asyncio.to_thread(server_stats, url)
        await asyncio.gather(*[_count(stream, chunks) for _ in range(n)])  # warm-up round
        s1 = await asyncio.to_thread(server_stats, url)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*[_count(stream, chunks) for _ in range(n)])
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        s2 = await asyncio.to_thread(server_stats, url)
        peak = _status_kib("VmHWM")
        return {"wall_s": wall, "cpu_s": cpu, "rss_delta_mib": (peak - rss0) / 1024,
                "warmup_connections": s1["connections"] - s0["connections"],
                "new_connections": s2["connections"] - s1["connections"],
                "requests": s2["requests"] - s1["requests"]}
    for _ in range(2):
        await _count(stream, chunks)
    if mode == "ttft":
        waits = []
        for _ in range(n):
            started = time.perf_counter()
            it = stream().__aiter__()
            await it.__anext__()
            waits.append(time.perf_counter() - started)
            _check(1 + sum([1 async for _ in it]), chunks)
        return {"ttft_us": statistics.median(waits) * 1e6}
    per_request = []
    for _ in range(n):
        cpu0 = time.process_time()
        got = await _count(stream, chunks)
        per_request.append((time.process_time() - cpu0) / got * 1e6)
    return cpu_result(per_request)


def available(name: str) -> bool:
    needs = REGISTRY[name].needs
    if needs is None:
        return True
    try:  # without importing it: the runner's own memory and time stay small
        return importlib.util.find_spec(needs) is not None
    except ImportError:
        return False


def measure(name: str, mode: str, url: str, protocol: str, n: int, chunks: int
            ) -> dict[str, Any]:
    spec = REGISTRY[name]
    stream = spec.make(url, protocol, chunks)
    if not spec.is_async:
        return measure_sync(stream, mode, n, chunks)

    async def main() -> dict[str, Any]:
        return await measure_async(stream, mode, n, chunks, url)
    return asyncio.run(main())


if __name__ == "__main__":
    name, mode, url, protocol, n, chunks = sys.argv[1:7]
    pin_to_core(1)
    print(json.dumps(measure(name, mode, url, protocol, int(n), int(chunks))))
