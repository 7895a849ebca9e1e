"""``Client`` and ``AsyncClient``: typed entry points that hand pure flows to a transport.

Everything but the I/O is shared: the configuration (``Settings``), the endpoint state
(``routing.Endpoints``) and the flows. The two classes differ only in how a flow runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Sequence
from typing import Any

from .accumulate import Accumulator
from .arguments import arguments_of
from .flows import calls, chat, pull
from .flows.commands import Flow
from .request import ChatCall, EmbedCall, chat_call, embed_call
from .routing import Endpoints
from .routing.endpoints import DEFAULT_SESSION_HEADER, Concurrency
from .routing.strategies import Routing
from .secrets import Credentials
from .settings import AUTO, Settings
from .types import ChatResult, Delta, EndpointState, ModelInfo, PullStatus, Timeouts
from .wire import DEFAULT_MAX_LINE_BYTES


class _Configured:
    """Configuration and endpoint state of one client (no sockets).

    ``base_url``: a server root (``http://localhost:11434``, ``http://host:8080`` or
    ``http://host:8080/v1``), ``"embedded"`` for the bundled llama.cpp server, or a list of
    servers. ``None`` finds one on first use: ``LOCALLLM_BASE_URL``, ``OLLAMA_HOST``, the
    usual local ports, then the embedded server. ``backend``: ``"auto"`` (detected once
    per URL), ``"ollama"`` or ``"openai"``. ``api_key``: sent as a bearer token, never
    shown. ``timeout``: ``Timeouts`` or seconds for every phase. ``max_retries``: retries
    before the first token only. ``max_line_bytes``: the longest stream line accepted.

    Several servers: ``routing`` picks where each request goes first — ``"failover"``
    (in order, sticking to the last that worked), ``"least_busy"`` (fewest requests in
    flight from this process) or ``"affinity"`` (a conversation stays on its server, where
    its prompt is cached). A server failing before the first token is ejected for a
    growing cooldown; a stream never moves once output began. ``max_concurrency``: at most
    this many requests at once per server, for the whole process (``"auto"``: the
    server's slots); the rest wait in a queue (``Timeouts(queue=...)``).
    ``session_header``: the header that carries a call's ``session_id`` (None: not sent).
    """

    def __init__(self, base_url: str | Sequence[str] | None = None, *, backend: str = AUTO,
                 api_key: str | None = None, timeout: Timeouts | float | None = None,
                 max_retries: int = 2, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                 routing: Routing = "failover", max_concurrency: Concurrency = None,
                 session_header: str | None = DEFAULT_SESSION_HEADER) -> None:
        self.settings = Settings(Timeouts.coerce(timeout), max_retries, max_line_bytes)
        self.endpoints = Endpoints(base_url, backend, routing=routing,
                                   max_concurrency=max_concurrency,
                                   session_header=session_header)
        self._open_transport(Credentials(api_key, self.endpoints.logins))

    def _open_transport(self, credentials: Credentials) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:  # never shows the API key
        urls = ",".join(self.endpoints.configured)
        extra = "" if len(self.endpoints.configured) == 1 \
            else f", routing={self.endpoints.routing!r}"
        return (f"{type(self).__name__}({urls!r}, backend={self.endpoints.forced_backend!r}"
                f"{extra})")

    @property
    def timeouts(self) -> Timeouts:
        return self.settings.timeouts

    def endpoints_state(self) -> list[EndpointState]:
        """Per server: requests in flight and queued, the cap, counters, ejection. The
        counts are this process's (every client of the same server shares them)."""
        return self.endpoints.state()


class Client(_Configured):
    """Blocking client for Ollama and OpenAI-compatible servers."""

    __doc__ = (__doc__ or "") + "\n\n" + (_Configured.__doc__ or "")

    def _open_transport(self, credentials: Credentials) -> None:
        from .transport.sync import SyncTransport  # requests loads with the first Client

        self._transport = SyncTransport(credentials)

    def _run(self, flow: Flow) -> Any:
        return self._transport.run(flow)

    @arguments_of(chat_call)
    def chat_stream(self, call: ChatCall) -> Iterator[Delta]:
        """Stream ``Delta``s. Arguments are checked at once; the first iteration sends."""
        return self._transport.drive(chat.chat(call, self.endpoints, self.settings))

    @arguments_of(chat_call)
    def chat(self, call: ChatCall) -> ChatResult:
        """The same stream folded into a ``ChatResult`` (only a stream the server marked
        complete is returned)."""
        acc = Accumulator()
        for delta in self._transport.drive(chat.chat(call, self.endpoints, self.settings)):
            acc.add(delta)
        return acc.result()

    def models(self) -> list[ModelInfo]:
        return self._run(calls.models(self.endpoints, self.settings))  # type: ignore[no-any-return]

    def show(self, model: str, *, num_ctx: int | None = None) -> ModelInfo:
        return self._run(calls.show(self.endpoints, self.settings, model, num_ctx))  # type: ignore[no-any-return]

    @arguments_of(embed_call)
    def embed(self, call: EmbedCall) -> list[list[float]]:
        return self._run(calls.embed(self.endpoints, self.settings, call))  # type: ignore[no-any-return]

    def pull(self, model: str) -> Iterator[PullStatus]:
        """Download a model (Ollama): progress records until ``status == "success"``.
        Breaking out (or Ctrl-C) closes the connection, which cancels the download."""
        return self._transport.drive(pull.pull(self.endpoints, self.settings, model))

    def is_available(self) -> bool:
        """Never raises: True when a server answers at some endpoint."""
        try:
            return bool(self._run(calls.available(self.endpoints, self.settings)))
        except Exception:
            return False

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_Configured):
    """Asyncio client; safe across repeated ``asyncio.run()`` calls."""

    __doc__ = (__doc__ or "") + "\n\n" + (_Configured.__doc__ or "")

    def _open_transport(self, credentials: Credentials) -> None:
        from .transport.aio import AsyncTransport  # aiohttp loads with the first AsyncClient

        self._transport = AsyncTransport(credentials)

    async def _ready(self) -> None:
        if self.endpoints.needs_resolving:  # discovery / embedded start block: not on the loop
            await asyncio.to_thread(self.endpoints.resolve)

    async def _run(self, flow: Flow) -> Any:
        await self._ready()
        return await self._transport.run(flow)

    def _stream(self, flow: Flow) -> AsyncGenerator[Any, None]:
        ready = self._ready if self.endpoints.needs_resolving else None
        return self._transport.drive(flow, ready=ready)

    @arguments_of(chat_call)
    def chat_stream(self, call: ChatCall) -> AsyncGenerator[Delta, None]:
        """Async generator of ``Delta``s. Arguments are checked at once; the first
        ``async for`` step sends the request."""
        return self._stream(chat.chat(call, self.endpoints, self.settings))

    @arguments_of(chat_call)
    async def chat(self, call: ChatCall) -> ChatResult:
        """The same stream folded into a ``ChatResult``."""
        acc = Accumulator()
        async for delta in self._stream(chat.chat(call, self.endpoints, self.settings)):
            acc.add(delta)
        return acc.result()

    async def models(self) -> list[ModelInfo]:
        return await self._run(calls.models(self.endpoints, self.settings))  # type: ignore[no-any-return]

    async def show(self, model: str, *, num_ctx: int | None = None) -> ModelInfo:
        return await self._run(calls.show(self.endpoints, self.settings, model, num_ctx))  # type: ignore[no-any-return]

    @arguments_of(embed_call)
    async def embed(self, call: EmbedCall) -> list[list[float]]:
        return await self._run(calls.embed(self.endpoints, self.settings, call))  # type: ignore[no-any-return]

    async def pull(self, model: str) -> AsyncIterator[PullStatus]:
        """Download a model (Ollama); see ``Client.pull``."""
        stream = self._stream(pull.pull(self.endpoints, self.settings, model))
        try:
            async for status in stream:
                yield status
        finally:
            await stream.aclose()

    async def is_available(self) -> bool:
        try:
            return bool(await self._run(calls.available(self.endpoints, self.settings)))
        except Exception:
            return False

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


__all__ = ["AsyncClient", "Client"]
