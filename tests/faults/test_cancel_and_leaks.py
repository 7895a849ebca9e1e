"""Cancellation and leaks: a stream the caller stops (break / aclose / task.cancel) is hung
up at once — the server sees the connection closed within 1 s, so a real server stops
generating — and no socket or fd outlives the clients."""

from __future__ import annotations

import time

import pytest

from localllm import Client
from tests.support.netstat import established_to

from .drivers import DRIVERS, FAST, Driver, Run, driver_id
from .fault_server import OLLAMA, OPENAI, TEXT, FaultServer, Step, closed_port
from .faults import BY_ID, FULL_TEXT
from .matrix import run_cell
from .procfs import new_fds, settled_fds

# A long, slow answer: the server is still generating when the client stops reading.
SLOW = Step(items=(*(x for w in TEXT * 20 for x in (("text", w), ("pause", 0.1))), ("final",)))

HOWS = [(d, how) for d in DRIVERS for how in (["break", "cancel"] if d.mode == "async"
                                               else ["break"])]


@pytest.mark.parametrize("backend", [OLLAMA, OPENAI])
@pytest.mark.parametrize(("driver", "how"), HOWS,
                         ids=[f"{driver_id(d)}-{how}" for d, how in HOWS])
def test_stopping_a_stream_closes_its_connection_within_1s(
        server: FaultServer, driver: Driver, how: str, backend: str) -> None:
    server.script(SLOW, model="slow")
    session = driver.open(Run(server.url, backend=backend))
    stopped: list[float] = []
    closed: list[bool] = []

    def after() -> None:  # runs while the client's event loop (if any) is still alive
        stopped.append(time.monotonic())
        closed.append(server.wait_closed(1.0))

    try:
        pieces: list[str] = []
        content = session.stream(pieces, model="slow", stop_after=2, how=how, after=after)
        assert content == "".join(TEXT[:2]) and pieces == list(TEXT[:2])
        assert closed == [True], "server still sending 1 s after the client stopped"
        conn = server.conns[0]
        assert conn.closed_by == "client" and conn.closed_at is not None
        assert conn.closed_at - stopped[0] < 1.0
        # the client is still usable, on a fresh connection
        assert session.stream([]) == FULL_TEXT
        assert server.chat_requests == 2 and len(server.conns) == 2
    finally:
        session.close()
    assert server.wait_closed(1.0)


@pytest.mark.parametrize("driver", DRIVERS, ids=driver_id)
def test_client_holds_no_sockets_after_faults(server: FaultServer, driver: Driver) -> None:
    """Across a run of faults (each cell closes its client) this process keeps no TCP
    connection to the server and no extra fd of any kind."""
    before = settled_fds()
    for case_id in ("ok", "reset-mid-stream", "drip-slower-than-idle", "10mib-line",
                    "never-answers-headers", "non-http-banner", "corrupt-gzip-body"):
        for backend in (OLLAMA, OPENAI):
            run_cell(server, driver, BY_ID[case_id], backend)
            assert established_to(server.port) == 0, case_id
    assert new_fds(before) == {}


def test_finished_streams_reuse_one_keep_alive_connection(server: FaultServer) -> None:
    """Streams are drained to the end, so a sync client reuses one connection."""
    with Client(server.url, backend=OPENAI, timeout=FAST) as client:
        for _ in range(5):
            assert client.chat("hi", model="fake-model").content == FULL_TEXT
        assert len(server.conns) == 1 and server.conns[0].requests == 5
        assert established_to(server.port) == 1
    assert server.wait_closed(1.0) and established_to(server.port) == 0


def test_close_releases_pooled_sockets_even_when_referenced(server: FaultServer) -> None:
    """Regression: ``Client.close()`` left the pooled socket open while anything still
    referenced the urllib3 pool (urllib3 2.x's PoolManager.clear() does not close pools)."""
    client = Client(server.url, backend=OLLAMA, timeout=FAST)
    assert client.chat("hi", model="fake-model").content == FULL_TEXT
    manager = client._transport._adapter.poolmanager  # type: ignore[attr-defined]
    pools = [manager.pools[key] for key in manager.pools.keys()]  # noqa: SIM118  # keep them referenced
    client.close()
    assert server.wait_closed(1.0), "pooled socket still open after Client.close()"
    assert established_to(server.port) == 0
    del pools


@pytest.mark.parametrize("driver", DRIVERS, ids=driver_id)
def test_refused_port_leaves_nothing_open(fd_guard: object, driver: Driver) -> None:
    before = settled_fds()
    session = driver.open(Run(f"http://127.0.0.1:{closed_port()}", backend=OLLAMA,
                              max_retries=1))
    with pytest.raises(Exception, match="Could not reach"):
        session.stream([])
    session.close()
    assert new_fds(before) == {}
