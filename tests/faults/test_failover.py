"""Failover between base URLs: a retryable failure before the first token moves on to the
next URL at once; the URL that answered stays preferred; nothing fails over after output."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from localllm.errors import FirstTokenTimeout, ServerError, StreamInterrupted

from .drivers import DRIVERS, Driver, Run, Session, driver_id, localllm_error
from .fault_server import OLLAMA, OPENAI, FaultServer, closed_port
from .faults import BY_ID, FULL_TEXT, RESET, S503

BEFORE_FIRST_TOKEN = ["reset-before-headers-once", "reset-after-headers-before-output",
                      "503-retry-after-then-ok", "html-502-then-ok"]


@pytest.fixture(scope="module")
def second_server(fd_guard: object) -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


@pytest.fixture
def pair(server: FaultServer, second_server: FaultServer) -> tuple[FaultServer, FaultServer]:
    second_server.reset(flavour="ollama")
    return server, second_server


def _open(driver: Driver, urls: list[str], backend: str, retries: int = 2) -> Session:
    return driver.open(Run(urls, backend=backend, max_retries=retries))


@pytest.mark.parametrize("backend", [OLLAMA, OPENAI])
@pytest.mark.parametrize("driver", DRIVERS, ids=driver_id)
def test_first_url_down_next_answers_and_stays_preferred(
        pair: tuple[FaultServer, FaultServer], driver: Driver, backend: str) -> None:
    _, b = pair
    session = _open(driver, [f"http://127.0.0.1:{closed_port()}", b.url], backend)
    try:
        for n in (1, 2, 3):
            assert session.stream([]) == FULL_TEXT
            assert b.chat_requests == n
    finally:
        session.close()


@pytest.mark.parametrize("case_id", BEFORE_FIRST_TOKEN)
@pytest.mark.parametrize("backend", [OLLAMA, OPENAI])
@pytest.mark.parametrize("driver", DRIVERS, ids=driver_id)
def test_failure_before_first_token_fails_over_without_waiting(
        pair: tuple[FaultServer, FaultServer], driver: Driver, backend: str,
        case_id: str) -> None:
    a, b = pair
    a.script(BY_ID[case_id].steps[0])
    session = _open(driver, [a.url, b.url], backend)
    try:
        started = time.monotonic()
        assert session.stream([]) == FULL_TEXT
        assert (a.chat_requests, b.chat_requests) == (1, 1)
        if case_id.startswith("503"):  # a's Retry-After (0.3 s) is not waited for
            assert time.monotonic() - started < 0.3
        # b answered, so b stays preferred although a is fine again
        assert session.stream([]) == FULL_TEXT
        assert (a.chat_requests, b.chat_requests) == (1, 2)
        # when b fails, a takes over and is then preferred
        b.script(RESET)
        assert session.stream([]) == FULL_TEXT
        assert session.stream([]) == FULL_TEXT
        assert (a.chat_requests, b.chat_requests) == (3, 3)
    finally:
        session.close()


@pytest.mark.parametrize("driver", DRIVERS, ids=driver_id)
def test_no_failover_after_output_or_on_first_token_timeout(
        pair: tuple[FaultServer, FaultServer], driver: Driver) -> None:
    a, b = pair
    session = _open(driver, [a.url, b.url], OPENAI)
    try:
        a.script(*BY_ID["reset-mid-stream"].steps)
        with pytest.raises(Exception) as info:
            session.stream([])
        assert isinstance(localllm_error(info.value), StreamInterrupted)
        assert (a.chat_requests, b.chat_requests) == (1, 0)
        a.script(*BY_ID["headers-then-no-token"].steps)
        with pytest.raises(Exception) as info:
            session.stream([])
        assert isinstance(localllm_error(info.value), FirstTokenTimeout)
        assert (a.chat_requests, b.chat_requests) == (2, 0)
    finally:
        session.close()


@pytest.mark.parametrize("driver", DRIVERS, ids=driver_id)
def test_all_urls_failing_is_bounded(pair: tuple[FaultServer, FaultServer],
                                     driver: Driver) -> None:
    """Each round tries every URL once; ``max_retries`` more rounds, then the last error."""
    a, b = pair
    a.script(RESET, RESET, RESET)
    b.script(S503, S503, S503)
    session = _open(driver, [a.url, b.url], OLLAMA)
    try:
        with pytest.raises(Exception) as info:
            session.stream([])
        error = localllm_error(info.value)  # the last error, from b (last in the round)
        assert isinstance(error, ServerError) and error.status == 503
        assert error.url is not None and error.url.startswith(b.url)
        assert (a.chat_requests, b.chat_requests) == (3, 3)
    finally:
        session.close()
