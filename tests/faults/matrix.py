"""Run one cell of the fault matrix and check everything the issue asks of it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from localllm.errors import IdleTimeout, LocalLLMError, StreamInterrupted

from .drivers import Driver, Run, localllm_error
from .fault_server import OLLAMA, FaultServer, closed_port
from .faults import FULL_TEXT, Case

# Where the whole stream before the failure reached the client, .partial must equal it
# exactly; other mid-stream errors may be detected in the same read as the last text.
_EXACT_PARTIAL = (StreamInterrupted, IdleTimeout)
TIMES: dict[str, float] = {}  # cell → seconds until its outcome surfaced (for the summary)


@dataclass
class Outcome:
    error: LocalLLMError | None
    content: str | None
    pieces: list[str]
    elapsed: float


def run_cell(server: FaultServer, driver: Driver, case: Case, backend: str,
             flavour: str | None = None) -> Outcome:
    """``backend``: what the client is told ("ollama", "openai" or "auto"); ``flavour``:
    which server the fault server pretends to be (for auto-detection)."""
    flavour = flavour or (backend if backend != "auto" else OLLAMA)
    server.reset(flavour=flavour)
    server.script(*case.steps)
    url = f"http://127.0.0.1:{closed_port()}" if case.refused else server.url
    session = driver.open(Run(url, backend=backend))
    pieces: list[str] = []
    content: str | None = None
    raised: BaseException | None = None
    ended: list[float] = []
    hung_up: list[bool] = []

    def after() -> None:  # while the client's event loop (if any) still runs
        ended.append(time.monotonic())
        if case.hangs:  # the server would wait forever: the client must have hung up
            hung_up.append(server.wait_closed(1.0))

    started = time.monotonic()
    try:
        content = session.stream(pieces, after=after)
    except Exception as exc:
        raised = exc
    finally:
        session.close()
    elapsed = ended[0] - started
    TIMES[f"{driver.name}-{driver.mode}-{backend}-{flavour}-{case.id}"] = elapsed
    assert hung_up == ([True] if case.hangs else []), "server saw no close within 1 s"
    assert server.wait_closed(1.0), "connections still open 1 s after the client closed"
    error = localllm_error(raised) if raised is not None else None
    if raised is not None and error is None:
        raise AssertionError(f"untyped error escaped: {raised!r}") from raised
    outcome = Outcome(error, content, pieces, elapsed)
    check_outcome(case, outcome, server, url, backend, flavour)
    return outcome


def check_outcome(case: Case, out: Outcome, server: FaultServer, url: str, backend: str,
                  flavour: str) -> None:
    budget = case.budget(Run(url).timeout)
    assert out.elapsed < budget + 1.0, f"took {out.elapsed:.2f}s, budget {budget}+1s"
    assert out.elapsed >= case.at_least - 0.05, f"came too soon: {out.elapsed:.2f}s"
    assert server.chat_requests == case.requests, dict(server.counts)
    _check_probes(case, server, backend, flavour)
    if case.error is None:
        assert out.error is None, f"expected success, got {out.error!r}"
        assert out.content == FULL_TEXT and "".join(out.pieces) == FULL_TEXT
        return
    error = out.error
    assert error is not None, f"expected {case.error.__name__}, got success {out.content!r}"
    # adapters raise framework-typed subclasses of the core error: compare the core class
    core_type = next(c for c in type(error).__mro__ if c.__module__ == "localllm.errors")
    assert core_type is case.error, f"expected {case.error.__name__}, got {error!r}"
    assert error.url is not None and error.url.startswith(url), error.url
    assert error.backend == (flavour if backend == "auto" else backend) or case.refused
    streamed = "".join(out.pieces)
    if case.partial is None:
        assert streamed == "", f"output streamed before {case.id}: {streamed!r}"
        assert error.partial is None or error.partial.content == ""
    else:
        assert error.partial is not None, "a mid-stream error must carry .partial"
        assert error.partial.content == streamed, (error.partial, streamed)
        assert error.partial.finish_reason is None, "partial passed off as complete"
        if case.error in _EXACT_PARTIAL:
            assert streamed == case.partial
        else:
            assert case.partial.startswith(streamed)
    if case.check is not None:
        case.check(error)


def _check_probes(case: Case, server: FaultServer, backend: str, flavour: str) -> None:
    listing = 1 if case.id == "model-not-found" else 0  # ModelNotFound lists the models
    tags = server.counts["/api/tags"]
    models = server.counts["/v1/models"]
    version = server.counts["/api/version"]
    if backend != "auto" or case.refused:
        assert version == 0
        assert (tags, models) == ((listing, 0) if backend == OLLAMA else (0, listing))
    elif flavour == OLLAMA:  # /api/version answers: detected at once, cached
        assert (version, tags, models) == (1, listing, 0), dict(server.counts)
    else:  # /api/version is a 404, then /v1/models identifies an OpenAI server
        assert (version, tags, models) == (1, 0, 1 + listing), dict(server.counts)
