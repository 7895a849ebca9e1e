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
from .fault_server import OLLAMA, OPENAI, TEXT, FaultServer
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


# -- what a server or proxy echoes back, and URL userinfo ------------------------------------
ECHOES = {
    # OpenAI's wording, which OpenAI-compatible proxies (LiteLLM, vLLM behind one) pass on.
    "openai-401": (401, {"error": {"message": f"Incorrect API key provided: {KEY}. You can "
                                   "find your API key at ...", "type": "invalid_request_error",
                                   "code": "invalid_api_key"}}),
    "shortened-echo": (401, {"error": f"Incorrect API key provided: {KEY[:10]}****{KEY[-4:]}"}),
    "header-echo": (400, {"error": f"bad request headers: Authorization: Bearer {KEY}"}),
    "other-token": (403, {"error": "forbidden for Authorization: Bearer sk-another-token-1234"}),
}


@pytest.mark.parametrize("case_id", sorted(ECHOES))
@pytest.mark.parametrize("driver", DRIVERS, ids=driver_id)
def test_echoed_secrets_are_masked(server: FaultServer, driver: Driver, case_id: str) -> None:
    from .fault_server import Step

    status, payload = ECHOES[case_id]
    server.script(Step(status=status, json=payload))
    session = driver.open(Run(server.url, backend=OPENAI, api_key=KEY, max_retries=0))
    try:
        with pytest.raises(Exception) as caught:
            session.stream([])
    finally:
        session.close()
    error = localllm_error(caught.value)
    assert error is not None and error.status == status
    assert "***" in (error.body or "") and "***" in str(error)
    for text in _reachable_text(caught.value):
        assert KEY not in text and KEY[:10] not in text, text[:300]
        assert "sk-another-token-1234" not in text, text[:300]


USER, PASSWORD = "alice", "pw-Hk3vR8sQ1z"


@pytest.mark.parametrize("driver", DRIVERS, ids=driver_id)
def test_url_userinfo_is_basic_auth_and_never_shown(server: FaultServer, driver: Driver,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    import base64

    from .fault_server import Step

    caplog.set_level(logging.DEBUG)
    url = server.url.replace("http://", f"http://{USER}:{PASSWORD}@")
    server.script(Step(status=500, json={"error": f"upstream {url} failed"}))
    session = driver.open(Run(url, backend=OLLAMA, max_retries=0))
    try:
        with pytest.raises(Exception) as caught:
            session.stream([])
        assert session.stream([]) == "".join(TEXT)  # the next one works
    finally:
        session.close()
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert server.auth_seen == [f"Basic {token}"] * 2
    error = localllm_error(caught.value)
    assert error is not None and error.url == server.url
    client = getattr(session, "client", None)
    texts = [*_reachable_text(caught.value), repr(client), caplog.text]
    for text in texts:
        assert PASSWORD not in text and token not in text, text[:300]
