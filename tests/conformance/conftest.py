from __future__ import annotations

from collections.abc import Iterator

import pytest

from .replay_server import ReplayServer


@pytest.fixture(scope="session")
def replay() -> Iterator[ReplayServer]:
    server = ReplayServer()
    try:
        yield server
    finally:
        server.close()
