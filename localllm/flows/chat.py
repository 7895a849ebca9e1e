"""The streamed-chat flow: one generator that both clients drive, so every decision —
timeouts per phase, completion rules, retries, failover, fallback — has one code path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..accumulate import accumulate
from ..errors import (
    ConnectionFailed,
    IdleTimeout,
    LocalLLMError,
    ModelNotFound,
    ProtocolError,
    StreamInterrupted,
)
from ..http import HttpRequest, HttpResponse
from ..protocols import ollama, openai
from ..protocols.errors import from_response
from ..request import ChatCall
from ..routing import Endpoints
from ..routing.affinity import conversation_key
from ..settings import Settings
from ..types import Delta
from .admission import admit
from .backend import backend_of
from .calls import models
from .clock import Clock
from .commands import Close, Emit, Flow, Open, Read, ReadTimedOut, Sleep
from .retry import Attempt, AttemptPlan

_DRAIN_TIMEOUT = 1.0  # after done/[DONE]: wait this long for the body's end, then give up


def chat(call: ChatCall, endpoints: Endpoints, settings: Settings) -> Flow:
    """Yields transport commands; ``Emit`` carries deltas to the caller."""
    timeouts = settings.timeouts
    clock = Clock(timeouts)
    key = conversation_key(call, call.session_id) if endpoints.routing == "affinity" \
        else None
    order, lease = endpoints.place(key)  # a retry plan is made on failure
    endpoint = order[0]
    plan: AttemptPlan | None = None
    attempts: Iterator[Attempt] = iter(())
    emitted = False
    while True:
        where: dict[str, Any] = {"url": endpoint, "model": call.model}
        received: list[Delta] = []  # folded into a partial result only if something fails
        try:
            backend = endpoints.known_backend(endpoint) \
                or (yield from backend_of(endpoints, endpoint, timeouts))
            where["backend"] = backend
            yield from admit(endpoints, lease, endpoint, backend, timeouts, clock)
            while True:  # send; a very old Ollama without /api/chat gets /api/generate
                limit, first_kind = clock.wait(False)
                try:
                    resp: HttpResponse = yield Open(
                        _request(endpoint, backend, call, endpoints), timeouts.connect, limit)
                except ReadTimedOut:
                    raise clock.expired(first_kind) from None
                if resp.ok or not (backend == ollama.NAME
                                   and ollama.is_path_missing(resp.status, resp.body)
                                   and endpoints.learn_chat_missing(endpoint)):
                    break
            if not resp.ok:
                raise (yield from _refusal(endpoints, settings, endpoint, resp, where))
            problem = _not_a_stream(backend, resp.content_type, where)
            if problem is not None:
                yield Close(reuse=False)
                raise problem
            parser = _parser(backend, resp.content_type)(settings.max_line_bytes, where)
            got_output = False
            pending: list[Delta] | None = None  # deltas to hand out before the next read
            # Once output flows and no total deadline runs, every read waits the same idle
            # limit: then one prebuilt command emits and reads in a single step.
            idle_read = Read(timeouts.idle) if clock.total_deadline is None else None
            while True:
                kind: type[LocalLLMError] = IdleTimeout
                if pending is not None and idle_read is not None and got_output:
                    cmd: Emit | Read = Emit(pending, idle_read)
                else:
                    if pending is not None:
                        yield Emit(pending)
                    limit, kind = clock.wait(got_output)
                    if limit is not None and limit <= 0:
                        raise clock.expired(kind)
                    cmd = Read(limit)
                pending = None
                try:
                    chunk = yield cmd
                except ReadTimedOut:
                    raise clock.expired(kind) from None
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
                            endpoints.succeeded(endpoint, lease, key)
                            break
                if parser.done:
                    if not got_output:  # complete, if empty: the server works
                        endpoints.succeeded(endpoint, lease, key)
                    yield from _drain(parser)
                    yield Emit(deltas)
                    return
                emitted = True
                pending = deltas
            tail = parser.close()
            yield Close(reuse=True)
            if tail:
                received += tail
                yield Emit(tail)
                emitted = True
            if not parser.complete:
                raise _interrupted(received, "Stream ended before the server marked it "
                                   "complete", where)
            return
        except LocalLLMError as exc:
            exc.fill(**where)
            if emitted:
                if exc.partial is None:  # e.g. IdleTimeout or an error record mid-stream
                    exc.partial = accumulate(received, strict=False)
                raise
            endpoints.failed(endpoint, lease, exc)
            if plan is None:
                plan = AttemptPlan(order, settings.max_retries)
                attempts = iter(plan)
                next(attempts)  # the attempt that just failed
            plan.failed(endpoint, exc)
        finally:
            lease.release()
        attempt = next(attempts)  # raises the last error once the plan is used up
        if attempt.delay:
            yield Sleep(attempt.delay)
        endpoint = attempt.endpoint
        lease = endpoints.lease(endpoint)
        clock.new_attempt()


def _request(endpoint: str, backend: str, call: ChatCall, endpoints: Endpoints) -> HttpRequest:
    if backend == openai.NAME:
        request = openai.chat_request(endpoint, call)
    else:
        request = ollama.chat_request(endpoint, call, endpoint in endpoints.chat_missing)
    if call.session_id is not None and endpoints.session_header:
        request.headers = {endpoints.session_header: call.session_id}
    return request


def _interrupted(received: list[Delta], message: str, where: dict[str, Any]
                 ) -> StreamInterrupted:
    return StreamInterrupted(
        message + " (no done / [DONE] / finish_reason); the partial answer is in .partial",
        partial=accumulate(received, strict=False),
        hint="The server crashed, was restarted, or a proxy cut the stream; retry the request.",
        **where)


def _drain(parser: ollama.StreamParser | openai.StreamParser | openai.WholeAnswerParser
           ) -> Flow:
    """Read to the end of the body so the keep-alive connection goes back to the pool. The
    answer is complete already: a read that fails now only means the transport has dropped
    (and closed) the connection."""
    while True:
        try:
            chunk = yield Read(_DRAIN_TIMEOUT)
        except (ReadTimedOut, LocalLLMError):
            return
        if not chunk:
            yield Close(reuse=True)
            return
        parser.feed(chunk)


def _refusal(endpoints: Endpoints, settings: Settings, endpoint: str, resp: HttpResponse,
             where: dict[str, Any]) -> Flow:
    """The typed error for a non-2xx answer; a missing model lists the available ones."""
    error = from_response(resp.status, resp.body, resp.headers, **where)
    if isinstance(error, ModelNotFound):
        try:
            listed = yield from models(endpoints, settings, endpoint)
        except LocalLLMError:
            return error
        error.set_available(m.name for m in listed)
    return error


Parser = type[ollama.StreamParser] | type[openai.StreamParser] | type[openai.WholeAnswerParser]


def _parser(backend: str, ctype: str) -> Parser:
    if backend != openai.NAME:
        return ollama.StreamParser
    # A whole chat.completion instead of a stream (SGLang 0.4.1 with tools).
    return openai.WholeAnswerParser if "json" in ctype else openai.StreamParser


def _not_a_stream(backend: str, ctype: str, where: dict[str, Any]) -> ProtocolError | None:
    """A 2xx answer that is not a model stream (a web page, a proxy's JSON)."""
    if "html" in ctype:
        return ProtocolError(f"Got an HTML page ({ctype}) instead of a model stream",
                             hint="Something other than an LLM server answers at this URL.",
                             **where)
    if backend == openai.NAME and ctype and "event-stream" not in ctype \
            and "json" not in ctype:
        return ProtocolError(f"Expected text/event-stream, got {ctype!r}", hint=(
            "This does not look like an OpenAI-compatible streaming answer; check the "
            "URL, or set backend='ollama' for an Ollama server."), **where)
    return None
