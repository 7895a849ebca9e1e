"""Everything both clients share that is not I/O: configuration, endpoint state, request
building and the non-streaming flows (probe, models, show, embed)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._flows import Flow, chat_flow
from ._io import HttpRequest, HttpResponse, Sleep, send
from ._retry import AttemptPlan
from .discovery import EMBEDDED, discover
from .errors import LocalLLMError, ProtocolError
from .messages import to_messages
from .protocols import ollama, openai, probe
from .protocols._errors import from_response
from .protocols._request import ChatCall, normalize_response_format, resolve_tool_choice
from .types import MessageLike, ModelInfo, Timeouts
from .wire import DEFAULT_MAX_LINE_BYTES

AUTO = "auto"  # no base_url given: resolved on first use by localllm.discovery


class BaseClient:
    """State shared by ``Client`` and ``AsyncClient``; holds no sockets."""

    def __init__(self, base_url: str | Sequence[str] | None, *, backend: str, api_key: str | None,
                 timeout: Timeouts | float | None, max_retries: int,
                 max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        if backend not in ("auto", *probe.BACKENDS):
            raise ValueError(f"backend must be 'auto', 'ollama' or 'openai', not {backend!r}")
        urls = [base_url] if isinstance(base_url, str) or base_url is None else list(base_url)
        if not urls:
            raise ValueError("base_url list is empty")
        self._urls = [u or AUTO for u in urls]
        self._resolved: list[str] | None = None
        self.backend = backend
        self.timeouts = Timeouts.coerce(timeout)
        self.max_retries = max_retries
        self.max_line_bytes = max_line_bytes
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.preferred = 0
        self.backends: dict[str, str] = {}
        self.chat_missing: set[str] = set()

    def __repr__(self) -> str:  # never shows the API key
        return f"<{self.endpoints_repr} backend={self.backend} timeouts={self.timeouts}>"

    @property
    def endpoints_repr(self) -> str:
        return ",".join(self._urls)

    # -- endpoints ---------------------------------------------------------------------------
    @property
    def needs_resolving(self) -> bool:
        """True while an endpoint still needs blocking work (discovery, embedded start)."""
        return self._resolved is None and (AUTO in self._urls or EMBEDDED in self._urls)

    def resolve(self) -> list[str]:
        """Blocking: discover the default endpoint and start the embedded server if needed."""
        if self._resolved is not None:
            return self._resolved
        urls = []
        for url in self._urls:
            if url == AUTO:
                found = discover()
                url = found.url
                if found.backend != "auto" and self.backend == "auto" and found.url != EMBEDDED:
                    self.backends[found.url] = found.backend
            if url == EMBEDDED:
                from .server import shared_server

                url = shared_server().url
            urls.append(url.rstrip("/"))
        self._resolved = urls
        return urls

    @property
    def endpoints(self) -> list[str]:
        return self._resolved if self._resolved is not None else self.resolve()

    def mark_healthy(self, endpoint: str) -> None:
        if self.preferred or len(self._urls) > 1:  # one endpoint: always the preferred one
            self.preferred = self.endpoints.index(endpoint)

    def known_backend(self, endpoint: str) -> str | None:
        """The backend without I/O: configured, or detected earlier."""
        return self.backend if self.backend != AUTO else self.backends.get(endpoint)

    def backend_flow(self, endpoint: str) -> Flow:
        known = self.known_backend(endpoint)
        if known is None:
            known = yield from probe.detect(endpoint, self.timeouts.connect, self._read_limit)
            self.backends[endpoint] = known
        return known

    @property
    def _read_limit(self) -> float | None:
        return self.timeouts.first_token

    # -- chat --------------------------------------------------------------------------------
    def chat_call(self, messages: Iterable[MessageLike] | str, model: str | None,
                  tools: Sequence[Mapping[str, Any]] | None, tool_choice: Any,
                  response_format: Any, max_tokens: int | None, temperature: float | None,
                  seed: int | None, stop: str | Sequence[str] | None,
                  options: dict[str, Any]) -> ChatCall:
        specs, choice = resolve_tool_choice(tools, tool_choice) if tools or tool_choice \
            else (None, None)
        return ChatCall(
            model or "", to_messages(messages), specs, choice,
            normalize_response_format(response_format) if response_format is not None else None,
            max_tokens, temperature, seed,
            [stop] if isinstance(stop, str) else list(stop) if stop else None, options)

    def chat_request(self, endpoint: str, backend: str, call: ChatCall) -> HttpRequest:
        if backend == openai.NAME:
            return HttpRequest("POST", openai.api_root(endpoint) + "/chat/completions",
                               openai.chat_body(call))
        if endpoint in self.chat_missing:
            return HttpRequest("POST", endpoint + "/api/generate", ollama.generate_body(call))
        return HttpRequest("POST", endpoint + "/api/chat", ollama.chat_body(call))

    def chat_flow(self, call: ChatCall) -> Flow:
        return chat_flow(self, call)

    # -- simple request/response flows ---------------------------------------------------------
    def _json_flow(self, request: HttpRequest, where: dict[str, Any]) -> Flow:
        resp: HttpResponse = yield from send(request, self.timeouts.connect, self._read_limit)
        if not resp.ok:
            raise from_response(resp.status, resp.body, resp.headers, **where)
        try:
            return json.loads(resp.body)
        except ValueError:
            raise ProtocolError(f"{request.method} {request.url} did not answer JSON",
                                body=resp.body[:500].decode("utf-8", "replace"),
                                status=resp.status, **where) from None

    def _first_working(self, step: Any) -> Flow:
        """Run ``step(endpoint, backend)`` with the same retry and failover rules as chat."""
        plan = AttemptPlan(self.endpoints, self.preferred, self.max_retries)
        for attempt in plan:
            if attempt.delay:
                yield Sleep(attempt.delay)
            try:
                backend = yield from self.backend_flow(attempt.endpoint)
                return (yield from step(attempt.endpoint, backend))
            except LocalLLMError as exc:
                plan.failed(attempt.endpoint, exc.fill(url=attempt.endpoint))

    def models_flow(self, endpoint: str | None = None) -> Flow:
        def step(endpoint: str, backend: str) -> Flow:
            where = {"url": endpoint, "backend": backend}
            if backend == ollama.NAME:
                payload = yield from self._json_flow(
                    HttpRequest("GET", endpoint + "/api/tags"), where)
                return ollama.parse_tags(payload)
            payload = yield from self._json_flow(
                HttpRequest("GET", openai.api_root(endpoint) + "/models"), where)
            return openai.parse_models(payload, endpoint)

        if endpoint is not None:
            backend = yield from self.backend_flow(endpoint)
            return (yield from step(endpoint, backend))
        return (yield from self._first_working(step))

    def show_flow(self, model: str, num_ctx: int | None) -> Flow:
        def step(endpoint: str, backend: str) -> Flow:
            where = {"url": endpoint, "backend": backend, "model": model}
            if backend == ollama.NAME:
                show = yield from self._json_flow(
                    HttpRequest("POST", endpoint + "/api/show", {"model": model}), where)
                ps = yield from self._json_flow(HttpRequest("GET", endpoint + "/api/ps"), where)
                return ollama.parse_show(model, show, ps, num_ctx)
            return (yield from self._openai_show(endpoint, model, where))

        return (yield from self._first_working(step))

    def _openai_show(self, endpoint: str, model: str, where: dict[str, Any]) -> Flow:
        listed = yield from self.models_flow(endpoint)
        match = next((m for m in listed if m.name == model), None)
        if match is None and len(listed) != 1:
            from .errors import ModelNotFound

            error = ModelNotFound(f"Model {model!r} not found", **where,
                                  hint="Use one of the listed models.")
            error.set_available(m.name for m in listed)
            raise error
        match = match or listed[0]
        resp: HttpResponse = yield from send(
            HttpRequest("GET", openai.server_root(endpoint) + "/props"), self.timeouts.connect,
            self._read_limit)
        props = openai.parse_props(probe.json_body(resp))
        return ModelInfo(
            name=model, backend=openai.NAME,
            context_window=props.get("context_window") or match.context_window,
            max_context=match.max_context, capabilities=props.get("capabilities", ()),
            size=match.size, raw=match.raw)

    def embed_flow(self, texts: Sequence[str], model: str | None) -> Flow:
        if isinstance(texts, str):
            texts = [texts]
        body_texts = list(texts)

        def step(endpoint: str, backend: str) -> Flow:
            where = {"url": endpoint, "backend": backend, "model": model}
            if backend == ollama.NAME:
                payload = yield from self._json_flow(HttpRequest(
                    "POST", endpoint + "/api/embed", {"model": model, "input": body_texts}),
                    where)
                return ollama.parse_embeddings(payload)
            payload = yield from self._json_flow(HttpRequest(
                "POST", openai.api_root(endpoint) + "/embeddings",
                openai.embed_body(model or "", body_texts)), where)
            return openai.parse_embeddings(payload)

        vectors = yield from self._first_working(step)
        if len(vectors) != len(body_texts):
            raise ProtocolError(f"asked for {len(body_texts)} embeddings, got {len(vectors)}",
                                model=model)
        return vectors

    def available_flow(self) -> Flow:
        """True when some endpoint answers a model listing (a real request, also when the
        backend was given)."""
        for endpoint in self.endpoints:
            try:
                yield from self.models_flow(endpoint)
                return True
            except LocalLLMError:
                continue
        return False
