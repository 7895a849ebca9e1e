"""The request/response flows: model listing, model details, embeddings, availability.

Each runs against the first endpoint that works, with the same retry and failover rules
as a chat (``flows.retry``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..errors import LocalLLMError, ModelNotFound, ProtocolError
from ..http import HttpRequest, HttpResponse
from ..protocols import ollama, openai
from ..protocols.errors import from_response
from ..request import EmbedCall
from ..routing import Endpoints
from ..settings import Settings
from ..types import ModelInfo
from .admission import admit
from .backend import backend_of
from .clock import Clock
from .commands import Flow, Sleep, exchange
from .retry import AttemptPlan

#: One step of a call: ``step(url, backend)`` is a flow that answers it at that endpoint.
Step = Callable[[str, str], Flow]


def json_answer(request: HttpRequest, settings: Settings, where: dict[str, Any]) -> Flow:
    """Send ``request``; the parsed JSON of a 2xx answer, else the typed error."""
    timeouts = settings.timeouts
    resp: HttpResponse = yield from exchange(request, timeouts.connect, timeouts.first_token)
    if not resp.ok:
        raise from_response(resp.status, resp.body, resp.headers, **where)
    try:
        payload = json.loads(resp.body)
    except ValueError:
        raise ProtocolError(f"{request.method} {request.url} did not answer JSON",
                            body=resp.body[:500].decode("utf-8", "replace"),
                            status=resp.status, **where) from None
    if isinstance(payload, dict) and "error" in payload and len(payload) <= 2:
        # An error with a 200 (LM Studio answers unknown paths so).
        raise from_response(resp.status, resp.body, resp.headers, **where)
    return payload


def first_working(endpoints: Endpoints, settings: Settings, step: Step,
                  limited: bool = False) -> Flow:
    """Run ``step`` where the routing places it, retrying and failing over like a chat.
    ``limited``: it takes one of the server's slots (``max_concurrency``), as a chat does."""
    order, lease = endpoints.place(None)
    plan = AttemptPlan(order, settings.max_retries)
    for attempt in plan:
        if attempt.delay:
            yield Sleep(attempt.delay)
        if lease.released:
            lease = endpoints.lease(attempt.endpoint)
        try:
            backend = yield from backend_of(endpoints, attempt.endpoint, settings.timeouts)
            if limited:
                yield from admit(endpoints, lease, attempt.endpoint, backend,
                                 settings.timeouts, Clock(settings.timeouts))
            answer = yield from step(attempt.endpoint, backend)
            endpoints.succeeded(attempt.endpoint, lease, None)
            return answer
        except LocalLLMError as exc:
            endpoints.failed(attempt.endpoint, lease, exc)
            plan.failed(attempt.endpoint, exc.fill(url=attempt.endpoint))
        finally:
            lease.release()


def models(endpoints: Endpoints, settings: Settings, url: str | None = None) -> Flow:
    """The models of ``url``, or of the first endpoint that answers."""
    def step(endpoint: str, backend: str) -> Flow:
        where = {"url": endpoint, "backend": backend}
        if backend == ollama.NAME:
            payload = yield from json_answer(ollama.models_request(endpoint), settings, where)
            return ollama.parse_tags(payload)
        payload = yield from json_answer(openai.models_request(endpoint), settings, where)
        return openai.parse_models(payload, endpoint)

    if url is not None:
        backend = yield from backend_of(endpoints, url, settings.timeouts)
        return (yield from step(url, backend))
    return (yield from first_working(endpoints, settings, step))


def show(endpoints: Endpoints, settings: Settings, model: str, num_ctx: int | None) -> Flow:
    def step(endpoint: str, backend: str) -> Flow:
        where = {"url": endpoint, "backend": backend, "model": model}
        if backend == ollama.NAME:
            details = yield from json_answer(ollama.show_request(endpoint, model), settings,
                                             where)
            running = yield from _running(endpoint, settings, where)
            return ollama.parse_show(model, details, running, num_ctx)
        return (yield from _openai_show(endpoints, settings, endpoint, model, where))

    return (yield from first_working(endpoints, settings, step))


def _running(endpoint: str, settings: Settings, where: dict[str, Any]) -> Flow:
    """``/api/ps``; Ollama before 0.1.38 has none: then nothing is known to be loaded."""
    timeouts = settings.timeouts
    request = ollama.running_request(endpoint)
    resp = yield from exchange(request, timeouts.connect, timeouts.first_token)
    if ollama.is_path_missing(resp.status, resp.body):
        return None
    if not resp.ok:
        raise from_response(resp.status, resp.body, resp.headers, **where)
    return resp.json_or_none()


def _openai_show(endpoints: Endpoints, settings: Settings, endpoint: str, model: str,
                 where: dict[str, Any]) -> Flow:
    listed = yield from models(endpoints, settings, endpoint)
    match = next((m for m in listed if m.name == model), None)
    if match is None and len(listed) != 1:
        error = ModelNotFound(f"Model {model!r} not found", **where,
                              hint="Use one of the listed models.")
        error.set_available(m.name for m in listed)
        raise error
    match = match or listed[0]
    timeouts = settings.timeouts
    resp = yield from exchange(openai.props_request(endpoint), timeouts.connect,
                               timeouts.first_token)
    props = openai.parse_props(resp.json_or_none())
    return ModelInfo(
        name=model, backend=openai.NAME,
        context_window=(props.context_window if props else None) or match.context_window,
        max_context=match.max_context, capabilities=props.capabilities if props else (),
        size=match.size, raw=match.raw)


def embed(endpoints: Endpoints, settings: Settings, call: EmbedCall) -> Flow:
    def step(endpoint: str, backend: str) -> Flow:
        where = {"url": endpoint, "backend": backend, "model": call.model}
        if backend == ollama.NAME:
            return (yield from _ollama_embed(endpoint, settings, call, where))
        payload = yield from json_answer(openai.embed_request(endpoint, call), settings, where)
        return openai.parse_embeddings(payload)

    vectors = yield from first_working(endpoints, settings, step, limited=True)
    if len(vectors) != len(call.texts):
        raise ProtocolError(f"asked for {len(call.texts)} embeddings, got {len(vectors)}",
                            model=call.model)
    return vectors


def _ollama_embed(endpoint: str, settings: Settings, call: EmbedCall, where: dict[str, Any]
                  ) -> Flow:
    """``/api/embed``; Ollama before 0.2.6 has only ``/api/embeddings`` (one text a request)."""
    timeouts = settings.timeouts
    resp = yield from exchange(ollama.embed_request(endpoint, call), timeouts.connect,
                               timeouts.first_token)
    if not ollama.is_path_missing(resp.status, resp.body):
        if not resp.ok:
            raise from_response(resp.status, resp.body, resp.headers, **where)
        return ollama.parse_embeddings(resp.json_or_none())
    vectors = []
    for text in call.texts:
        payload = yield from json_answer(ollama.old_embed_request(endpoint, call.model, text),
                                         settings, where)
        vectors.append(ollama.parse_old_embedding(payload))
    return vectors


def available(endpoints: Endpoints, settings: Settings) -> Flow:
    """True when some endpoint answers a model listing (a real request, also when the
    backend was given)."""
    for endpoint in endpoints.urls:
        try:
            yield from models(endpoints, settings, endpoint)
            return True
        except LocalLLMError:
            continue
    return False
