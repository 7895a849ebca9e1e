"""Shared fixtures. The real embedded llama.cpp server is started once per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.ollama.fake_ollama import FakeOllama


@pytest.fixture(scope="session")
def embedded_server() -> Iterator[object]:
    """One real llama.cpp server (xllamacpp + gemma-3-270m) for the whole run.

    Missing the ``server`` extra is a setup error, not a skip: these tests must run in CI.
    """
    from localllm.server import EmbeddedServer

    threads = int(os.environ.get("LOCALLLM_TEST_THREADS", "2"))
    server = EmbeddedServer(n_threads=threads, cache_prompt=False)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    """A fake Ollama built from Ollama's documented wire format (not a real Ollama)."""
    with FakeOllama() as fake:
        yield fake
