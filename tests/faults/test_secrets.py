"""The API key never shows: not in the clients' repr, not in logs (DEBUG, every logger), not
in an error's message, repr, formatted traceback or anything reachable from it through
``__cause__`` / ``__context__`` — for a 401 and for connection-level failures, sync and async."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pytest

from localllm import AsyncClient, Client

from .drivers import DRIVERS, Driver, Run, driver_id, localllm_error
from .fault_server import OLLAMA, OPENAI, FaultServer
from .faults import BY_ID

KEY = "sk-test-Zq8vX2mN4pL7rT9w"
CASES = ["401", "refused-port", "reset-before-headers", "reset-mid-stream",
         "non-http-banner", "never-answers-headers", "drip-slower-than-idle", "ok"]


def _reachable_text(obj: Any, depth: int = 4, seen: set[int] | None = None) -> list[str]:
    """repr/str of obj and of everything reachable through attributes, containers and the
    exception chain, a few levels deep."""
    seen = seen if seen is not None else set()
    if id(obj) in seen or depth < 0 or obj is None:
        return []
    seen.add(id(obj))
    out = [repr(obj), str(obj)] if not isinstance(obj, type) else []
    children: list[Any] = []
    if isinstance(obj, BaseException):
        children += [obj.__cause__, obj.__context__, *obj.args]
    if isinstance(obj, dict):
        children += [*obj.keys(), *obj.values()]
    elif isinstance(obj, (list, tuple, set, frozenset)):
        children += list(obj)
    elif hasattr(obj, "__dict__") and not callable(obj):
        children += list(vars(obj).values())
    for slot in getattr(type(obj), "__slots__", ()):
        children.append(getattr(obj, slot, None))
    for child in children:
        out += _reachable_text(child, depth - 1, seen)
    return out


def test_repr_of_clients_hides_the_key() -> None:
    for client in (Client("http://h:1", api_key=KEY), AsyncClient("http://h:1", api_key=KEY)):
        assert KEY not in repr(client) and KEY not in str(client)
        for part in (client.endpoints, client.settings, client.timeouts):
            assert KEY not in repr(part) and KEY not in str(part)
        assert not any(KEY in text for text in _reachable_text(client.endpoints))
    several = Client(["http://a", "http://b"], backend="auto", api_key=KEY, max_retries=0)
    assert KEY not in repr(several)


@pytest.mark.parametrize("case_id", CASES)
@pytest.mark.parametrize("backend", [OLLAMA, OPENAI])
@pytest.mark.parametrize("driver", DRIVERS, ids=driver_id)
def test_key_not_in_errors_or_logs(server: FaultServer, driver: Driver, backend: str,
                                   case_id: str, caplog: pytest.LogCaptureFixture) -> None:
    case = BY_ID[case_id]
    server.script(*case.steps)
    url = server.url if not case.refused else "http://127.0.0.1:1"
    caplog.set_level(logging.DEBUG)
    session = driver.open(Run(url, backend=backend, api_key=KEY, max_retries=1))
    raised: BaseException | None = None
    try:
        session.stream([])
    except Exception as exc:
        raised = exc
    finally:
        session.close()
    assert caplog.records, "nothing was logged at DEBUG: the log check would be vacuous"
    assert KEY not in caplog.text
    for record in caplog.records:
        assert KEY not in record.getMessage() and KEY not in repr(record.args)
    if case.error is None:
        assert raised is None
        return
    assert raised is not None
    error = localllm_error(raised)
    assert isinstance(error, case.error)
    assert KEY not in "".join(traceback.format_exception(raised))
    for text in _reachable_text(raised):
        assert KEY not in text, text[:300]


@pytest.mark.parametrize("driver", DRIVERS, ids=driver_id)
def test_the_key_is_really_sent(server: FaultServer, driver: Driver) -> None:
    """The checks above are not vacuous: the key does reach the server."""
    session = driver.open(Run(server.url, backend=OPENAI, api_key=KEY))
    try:
        session.stream([])
    finally:
        session.close()
    assert server.auth_seen == [f"Bearer {KEY}"]
