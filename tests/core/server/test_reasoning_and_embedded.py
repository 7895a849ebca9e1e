"""Reasoning deltas from a real llama.cpp server (the ``<think>`` template variant), and the
lazily started ``Client("embedded")``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from localllm import AsyncClient, Client
from localllm.server import EmbeddedServer
from tests.support.helpers import EitherClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def thinking_server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(reasoning=True, n_parallel=1, n_ctx=2048, cache_prompt=False) as server:
        yield server


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_reasoning_streams_before_content(thinking_server: EmbeddedServer, mode: str) -> None:
    c = EitherClient(mode, thinking_server.url)
    deltas = c.stream("What is 3 + 5?", model="gemma-3-270m", max_tokens=64, temperature=0,
                      seed=42)
    c.close()
    reasoning = [i for i, d in enumerate(deltas) if d.reasoning]
    content = [i for i, d in enumerate(deltas) if d.content]
    assert reasoning, "no reasoning deltas"
    assert content and reasoning[0] < content[0]
    assert not any("<think>" in d.content for d in deltas)


def test_embedded_keyword_reuses_the_shared_server(embedded_server: EmbeddedServer) -> None:
    with Client("embedded") as c:
        assert c.chat("Hi", model="gemma-3-270m", max_tokens=4, temperature=0).content
        assert c.endpoints.urls == [embedded_server.url]

    async def run_async() -> str:
        async with AsyncClient("embedded") as ac:
            return (await ac.chat("Hi", model="gemma-3-270m", max_tokens=4,
                                     temperature=0, seed=42)).content

    assert asyncio.run(run_async())
