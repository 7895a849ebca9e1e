"""Shared fixtures. The real embedded llama.cpp server is started once per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.fake_ollama import FakeOllama


@pytest.fixture(scope="session")
def embedded_server() -> Iterator[object]:
    """One real llama.cpp server (xllamacpp + gemma-3-270m) for the whole run.

    Missing the ``server`` extra is a setup error, not a skip: these tests must run in CI.
    """
    from localllm.server import shared_server

    threads = int(os.environ.get("LOCALLLM_TEST_THREADS", "2"))
    # The process-wide shared server, so Client("embedded") in tests reuses this one.
    # The prompt cache is off: a cache hit changes the greedy output of this tiny model.
    server = shared_server(n_threads=threads, cache_prompt=False)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    """A fake Ollama built from Ollama's documented wire format (not a real Ollama)."""
    with FakeOllama() as fake:
        yield fake
