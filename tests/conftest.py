"""Shared fixtures. The real embedded llama.cpp server is started once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_ollama import FakeOllama


@pytest.fixture(scope="session")
def embedded_server() -> Iterator[object]:
    """One real llama.cpp server (xllamacpp + gemma-3-270m) for the whole run.

    Missing the ``server`` extra is a setup error, not a skip: these tests must run in CI.
    """
    from tests.support.embedded import session_server

    server = session_server()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(autouse=True)
def _fresh_routing_state() -> None:
    """Each test starts with no server ejected and no conversation placed: the routing
    state is process-wide, and tests reuse URLs (``http://a``, a session server)."""
    from localllm.routing import forget_servers

    forget_servers()


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    """A fake Ollama built from Ollama's documented wire format (not a real Ollama)."""
    with FakeOllama() as fake:
        yield fake


FRAMEWORK_DRIVERS = ("langchain", "llamaindex")
ROOT = Path(__file__).resolve().parents[1]
FRAMEWORK_DIRS = (ROOT / "tests" / "langchain", ROOT / "tests" / "llamaindex", ROOT / "notebooks")


def _needs_frameworks(item: pytest.Item) -> bool:
    if any(item.path.is_relative_to(folder) for folder in FRAMEWORK_DIRS):
        return True
    driver = getattr(getattr(item, "callspec", None), "params", {}).get("driver")
    name = driver if isinstance(driver, str) else getattr(driver, "name", "")
    return name.startswith(FRAMEWORK_DRIVERS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The adapters' tests, the notebooks and every case run through a LangChain or LlamaIndex
    driver need those frameworks: mark them, so the core-only run (``-m "not frameworks"``)
    keeps everything else, the core cases of the same tests included. A test on the real
    embedded server is marked ``integration`` (the floor runs leave those to the main run)."""
    for item in items:
        if _needs_frameworks(item):
            item.add_marker(pytest.mark.frameworks)
        if "embedded_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)
