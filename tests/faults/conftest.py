"""Fixtures for the fault tests: fault servers per module, with an fd leak check around them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from . import matrix
from .fault_server import FaultServer
from .procfs import fd_kinds, new_fds, open_fds, settled_fds


@pytest.fixture(scope="module")
def fd_guard() -> Iterator[dict[int, str]]:
    """This process's open fds (sockets, pipes, epoll, files) before a module; after it —
    clients closed, servers stopped — no fd may be open that was not open before."""
    before = settled_fds()
    yield before
    leaked = new_fds(before)
    assert not leaked, (f"fd leak: {dict(fd_kinds(leaked))} new fds {leaked}; before "
                        f"{dict(fd_kinds(before))}, after {dict(fd_kinds(open_fds()))}")


@pytest.fixture(scope="module")
def fault_server(fd_guard: dict[int, str]) -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


@pytest.fixture
def server(fault_server: FaultServer) -> FaultServer:
    fault_server.reset(flavour="ollama")
    return fault_server


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if matrix.TIMES:
        cell, seconds = max(matrix.TIMES.items(), key=lambda kv: kv[1])
        terminalreporter.write_line(
            f"fault matrix: {len(matrix.TIMES)} cells; slowest to surface: {seconds:.2f}s "
            f"({cell})")
