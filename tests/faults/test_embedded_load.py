"""16 concurrent requests against the REAL embedded llama.cpp server (2 slots), with the
DEFAULT timeouts: queueing for a slot must not trip the first-token timeout, and every
request completes. Half go through one shared sync ``Client`` (8 threads), half through one
``AsyncClient``, all in flight together."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from localllm import AsyncClient, Client, Timeouts
from localllm.types import ChatResult

pytestmark = pytest.mark.integration

HALF = 8
ARGS: dict[str, Any] = {"model": "gemma-3-270m", "max_tokens": 8, "temperature": 0, "seed": 7}


def _outcome(future: Any) -> Any:
    try:
        return future.result()
    except Exception as exc:
        return exc


def test_16_concurrent_requests_sync_and_async_all_complete(embedded_server: Any) -> None:
    url = embedded_server.url

    async def async_half() -> list[Any]:
        async with AsyncClient(url) as client:
            assert client.timeouts == Timeouts()
            return await asyncio.gather(
                *(client.chat(f"Name a colour. ({i})", **ARGS) for i in range(HALF)),
                return_exceptions=True)

    with Client(url) as client, ThreadPoolExecutor(HALF) as pool:
        assert client.timeouts == Timeouts()
        futures = [pool.submit(client.chat, f"Name a fruit. ({i})", **ARGS)
                   for i in range(HALF)]
        results = asyncio.run(async_half()) + [_outcome(f) for f in futures]
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert len(results) == 2 * HALF
    for r in results:
        assert isinstance(r, ChatResult)
        assert r.finish_reason in ("stop", "length") and r.content
        assert r.usage is not None and 0 < r.usage.completion_tokens <= ARGS["max_tokens"]
