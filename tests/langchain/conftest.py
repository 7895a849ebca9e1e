"""LangChain adapter tests share the session's real embedded llama.cpp server."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def _server_first(embedded_server: object) -> None:
    """Start the shared server before any standard-suite property asks for its URL."""
