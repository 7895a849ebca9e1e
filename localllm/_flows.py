"""The streamed-chat flow: one generator that both clients drive, so every decision —
timeouts per phase, completion rules, retries, failover, fallback — has one code path."""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

from ._io import Close, Emit, HttpResponse, Open, Read, ReadTimedOut, Sleep
from ._retry import Attempt, AttemptPlan
from .accumulate import accumulate
from .errors import (
    ConnectionFailed,
    FirstTokenTimeout,
    IdleTimeout,
    LocalLLMError,
    ModelNotFound,
    ProtocolError,
    StreamInterrupted,
    TotalTimeout,
)
from .protocols import ollama, openai
from .protocols._errors import from_response
from .protocols._request import ChatCall
from .types import Delta

if TYPE_CHECKING:
    from ._base import BaseClient

Flow = Generator[Any, Any, Any]
_DRAIN_TIMEOUT = 1.0  # after done/[DONE]: wait this long for the body's end, then give up


class _Clock:
    """Per-call deadlines: first output, idle gap, and total."""

    __slots__ = ("first_deadline", "first_token", "idle", "total_deadline")

    def __init__(self, timeouts: Any) -> None:
        self.total_deadline = time.monotonic() + timeouts.total if timeouts.total else None
        self.idle = timeouts.idle
        self.first_token = timeouts.first_token
        self.first_deadline = (time.monotonic() + timeouts.first_token  # the first attempt's
                               if timeouts.first_token else None)

    def new_attempt(self) -> None:
        """Each later attempt gets the whole first-token budget too; ``total`` spans all."""
        if self.first_token:
            self.first_deadline = time.monotonic() + self.first_token

    def wait(self, got_output: bool) -> tuple[float | None, type[LocalLLMError]]:
        """How long the next read may wait, and which error it is if it runs out."""
        kind: type[LocalLLMError] = IdleTimeout if got_output else FirstTokenTimeout
        limit = self.idle if got_output else None
        now = time.monotonic()
        if not got_output and self.first_deadline is not None:
            limit = self.first_deadline - now
        if self.total_deadline is not None:
            left = self.total_deadline - now
            if limit is None or left < limit:
                limit, kind = left, TotalTimeout
        return limit, kind


def _timeout_error(kind: type[LocalLLMError], timeouts: Any) -> LocalLLMError:
    if kind is FirstTokenTimeout:
        return FirstTokenTimeout(
            f"No output within first_token={timeouts.first_token}s",
            hint="The model may be loading or the server busy; raise Timeouts(first_token=...).")
    if kind is IdleTimeout:
        return IdleTimeout(
            f"Stream stalled: nothing for idle={timeouts.idle}s after output began",
            hint="The server stopped sending; raise Timeouts(idle=...) for slow machines.")
    return TotalTimeout(f"Request exceeded total={timeouts.total}s",
                        hint="Raise Timeouts(total=...) or lower max_tokens.")


def chat_flow(client: BaseClient, call: ChatCall) -> Flow:
    """Yields transport commands; ``Emit`` carries deltas to the caller."""
    clock = _Clock(client.timeouts)
    endpoints = client.endpoints
    endpoint = endpoints[client.preferred]  # the first attempt; a plan is made on failure
    plan: AttemptPlan | None = None  # retries and failover, once an attempt failed
    attempts: Iterator[Attempt] = iter(())
    emitted = False
    while True:
        where: dict[str, Any] = {"url": endpoint, "model": call.model}
        received: list[Delta] = []  # folded into a partial result only if something fails
        try:
            backend = client.known_backend(endpoint) or (yield from client.backend_flow(endpoint))
            where["backend"] = backend
            while True:  # send; a very old Ollama without /api/chat gets /api/generate
                request = client.chat_request(endpoint, backend, call)
                limit, kind = clock.wait(False)
                try:
                    resp: HttpResponse = yield Open(request, client.timeouts.connect, limit)
                except ReadTimedOut:
                    raise _timeout_error(kind, client.timeouts) from None
                if resp.ok or not _chat_missing(client, endpoint, backend, resp):
                    break
            if not resp.ok:
                raise (yield from _refusal(client, endpoint, resp, where))
            problem = _not_a_stream(backend, resp.content_type, where)
            if problem is not None:
                yield Close(reuse=False)
                raise problem
            parser = (openai.StreamParser if backend == openai.NAME else ollama.StreamParser)(
                client.max_line_bytes, where)
            got_output = False
            pending: list[Delta] | None = None  # deltas to hand out before the next read
            # Once output flows and no total deadline runs, every read waits the same idle
            # limit: then one prebuilt command emits and reads in a single step.
            idle_read = Read(client.timeouts.idle) if clock.total_deadline is None else None
            while True:
                kind: type[LocalLLMError] = IdleTimeout
                if pending is not None and idle_read is not None and got_output:
                    cmd: Emit | Read = Emit(pending, idle_read)
                else:
                    if pending is not None:
                        yield Emit(pending)
                    limit, kind = clock.wait(got_output)
                    if limit is not None and limit <= 0:
                        raise _timeout_error(kind, client.timeouts)
                    cmd = Read(limit)
                pending = None
                try:
                    chunk = yield cmd
                except ReadTimedOut:
                    raise _timeout_error(kind, client.timeouts) from None
                except ConnectionFailed as exc:
                    if emitted:
                        raise _interrupted(received, "Connection lost mid-stream: "
                                           + exc.message, where) from None
                    raise
                if not chunk:
                    break
                deltas = parser.feed(chunk)
                if not deltas:
                    continue
                received += deltas
                if parser.failure is not None:  # a bad record after these, in the same read
                    yield Emit(deltas)
                    emitted = True
                    raise parser.failure
                if not got_output:
                    for d in deltas:
                        if d.is_output:
                            got_output = True
                            client.mark_healthy(endpoint)
                            break
                if parser.done:
                    yield from _drain(parser)
                    yield Emit(deltas)
                    return
                emitted = True
                pending = deltas
            complete = parser.close()
            yield Close(reuse=True)
            if not complete:
                raise _interrupted(received, "Stream ended before the server marked it "
                                   "complete", where)
            return
        except LocalLLMError as exc:
            exc.fill(**where)
            if emitted:
                if exc.partial is None:  # e.g. IdleTimeout or an error record mid-stream
                    exc.partial = accumulate(received, strict=False)
                raise
            if plan is None:
                plan = AttemptPlan(endpoints, client.preferred, client.max_retries)
                attempts = iter(plan)
                next(attempts)  # the attempt that just failed
            plan.failed(endpoint, exc)
        attempt = next(attempts)  # raises the last error once the plan is used up
        if attempt.delay:
            yield Sleep(attempt.delay)
        endpoint = attempt.endpoint
        clock.new_attempt()


def _interrupted(received: list[Delta], message: str, where: dict[str, Any]
                 ) -> StreamInterrupted:
    return StreamInterrupted(
        message + " (no done / [DONE] / finish_reason); the partial answer is in .partial",
        partial=accumulate(received, strict=False),
        hint="The server crashed, was restarted, or a proxy cut the stream; retry the request.",
        **where)


def _drain(parser: Any) -> Flow:
    """Read to the end of the body so the keep-alive connection goes back to the pool."""
    while True:
        try:
            chunk = yield Read(_DRAIN_TIMEOUT)
        except (ReadTimedOut, ConnectionFailed):
            yield Close(reuse=False)
            return
        if not chunk:
            yield Close(reuse=True)
            return
        parser.feed(chunk)


def _chat_missing(client: BaseClient, endpoint: str, backend: str, resp: HttpResponse
                  ) -> bool:
    """True (once per endpoint) when the server has no ``/api/chat``: send again, to
    ``/api/generate``."""
    if backend == ollama.NAME and ollama.is_chat_missing(resp.status, resp.body) \
            and endpoint not in client.chat_missing:
        client.chat_missing.add(endpoint)
        return True
    return False


def _refusal(client: BaseClient, endpoint: str, resp: HttpResponse, where: dict[str, Any]
             ) -> Flow:
    """The typed error for a non-2xx answer; a missing model lists the available ones."""
    error = from_response(resp.status, resp.body, resp.headers, **where)
    if isinstance(error, ModelNotFound):
        yield from _add_available(client, endpoint, error)
    return error


def _not_a_stream(backend: str, ctype: str, where: dict[str, Any]) -> ProtocolError | None:
    """A 2xx answer that is not a model stream (a web page, a proxy's JSON)."""
    if "html" in ctype:
        return ProtocolError(f"Got an HTML page ({ctype}) instead of a model stream",
                             hint="Something other than an LLM server answers at this URL.",
                             **where)
    if backend == openai.NAME and ctype and "event-stream" not in ctype:
        return ProtocolError(f"Expected text/event-stream, got {ctype!r}", hint=(
            "This does not look like an OpenAI-compatible streaming answer; check the "
            "URL, or set backend='ollama' for an Ollama server."), **where)
    return None


def _add_available(client: BaseClient, endpoint: str, error: ModelNotFound) -> Flow:
    try:
        models = yield from client.models_flow(endpoint)
    except LocalLLMError:
        return
    error.set_available(m.name for m in models)
