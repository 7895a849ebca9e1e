"""``Client`` and ``AsyncClient``: thin shells that hand pure flows to a transport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator, Sequence
from typing import Any

from ._base import BaseClient
from ._flows import chat_flow
from ._pull import pull_flow
from .accumulate import Accumulator
from .messages import to_messages
from .protocols._request import ChatCall
from .types import ChatResult, Delta, MessageLike, ModelInfo, PullStatus, Timeouts
from .wire import DEFAULT_MAX_LINE_BYTES

_DOC_ARGS = """
    ``base_url``: a server root (``http://localhost:11434``, ``http://host:8080`` or
    ``http://host:8080/v1``), ``"embedded"`` for the bundled llama.cpp server, or a list of
    URLs to fail over between (before the first token only). ``None`` finds one on first use:
    ``LOCALLLM_BASE_URL``, ``OLLAMA_HOST``, the usual local ports, then the embedded server.
"""


class _Common:
    def __init__(self, base_url: str | Sequence[str] | None = None, *, backend: str = "auto",
                 api_key: str | None = None, timeout: Timeouts | float | None = None,
                 max_retries: int = 2, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        self._base = BaseClient(base_url, backend=backend, api_key=api_key, timeout=timeout,
                                max_retries=max_retries, max_line_bytes=max_line_bytes)

    def __repr__(self) -> str:
        base = self._base
        return f"{type(self).__name__}({base.endpoints_repr!r}, backend={base.backend!r})"

    @property
    def timeouts(self) -> Timeouts:
        return self._base.timeouts

    def _call(self, messages: Iterable[MessageLike] | str, model: str | None,
              kw: dict[str, Any]) -> Any:
        if not kw:  # no keyword arguments: nothing to sort out, every option at its default
            return chat_flow(self._base, ChatCall(model or "", to_messages(messages)))
        return self._base.chat_flow(self._base.chat_call(
            messages, model, kw.pop("tools", None), kw.pop("tool_choice", None),
            kw.pop("response_format", None), kw.pop("max_tokens", None),
            kw.pop("temperature", None), kw.pop("seed", None), kw.pop("stop", None), kw))


class Client(_Common):
    __doc__ = "Blocking client for Ollama and OpenAI-compatible servers." + _DOC_ARGS

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        from .transport.sync import SyncTransport  # requests loads with the first Client

        self._transport = SyncTransport(self._base.headers)

    def chat_stream(self, messages: Iterable[MessageLike] | str, *, model: str | None = None,
                    **kw: Any) -> Iterator[Delta]:
        """Stream ``Delta``s. Keyword arguments: ``tools``, ``tool_choice``,
        ``response_format``, ``max_tokens``, ``temperature``, ``seed``, ``stop``; anything
        else goes to the server as an option (Ollama ``options``, OpenAI body fields)."""
        return self._transport.drive(self._call(messages, model, kw))

    def chat(self, messages: Iterable[MessageLike] | str, *, model: str | None = None,
             **kw: Any) -> ChatResult:
        acc = Accumulator()
        for delta in self.chat_stream(messages, model=model, **kw):
            acc.add(delta)
        return acc.result()

    def models(self) -> list[ModelInfo]:
        return self._transport.run(self._base.models_flow())  # type: ignore[no-any-return]

    def show(self, model: str, *, num_ctx: int | None = None) -> ModelInfo:
        return self._transport.run(self._base.show_flow(model, num_ctx))  # type: ignore[no-any-return]

    def embed(self, texts: str | Sequence[str], *, model: str | None = None
              ) -> list[list[float]]:
        return self._transport.run(self._base.embed_flow(texts, model))  # type: ignore[no-any-return]

    def pull(self, model: str) -> Iterator[PullStatus]:
        """Download a model (Ollama): progress records until ``status == "success"``.
        Breaking out (or Ctrl-C) closes the connection, which cancels the download."""
        return self._transport.drive(pull_flow(self._base, model))  # type: ignore[return-value]

    def is_available(self) -> bool:
        """Never raises: True when a server answers at some endpoint."""
        try:
            return bool(self._transport.run(self._base.available_flow()))
        except Exception:
            return False

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_Common):
    __doc__ = "Asyncio client; safe across repeated ``asyncio.run()`` calls." + _DOC_ARGS

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        from .transport.aio import AsyncTransport  # aiohttp loads with the first AsyncClient

        self._transport = AsyncTransport(self._base.headers)

    async def _ready(self) -> None:
        if self._base.needs_resolving:  # discovery / embedded start block: not on the loop
            await asyncio.to_thread(self._base.resolve)

    def chat_stream(self, messages: Iterable[MessageLike] | str, *, model: str | None = None,
                    **kw: Any) -> AsyncGenerator[Delta, None]:
        """Async generator of ``Delta``s; same arguments as ``Client.chat_stream``. Like it,
        checks the arguments at once; the first ``async for`` step sends the request."""
        ready = self._ready if self._base.needs_resolving else None
        return self._transport.drive(self._call(messages, model, kw), ready=ready)

    async def chat(self, messages: Iterable[MessageLike] | str, *, model: str | None = None,
                   **kw: Any) -> ChatResult:
        acc = Accumulator()
        async for delta in self.chat_stream(messages, model=model, **kw):
            acc.add(delta)
        return acc.result()

    async def _run(self, flow: Any) -> Any:
        await self._ready()
        return await self._transport.run(flow)

    async def models(self) -> list[ModelInfo]:
        return await self._run(self._base.models_flow())  # type: ignore[no-any-return]

    async def show(self, model: str, *, num_ctx: int | None = None) -> ModelInfo:
        return await self._run(self._base.show_flow(model, num_ctx))  # type: ignore[no-any-return]

    async def embed(self, texts: str | Sequence[str], *, model: str | None = None
                    ) -> list[list[float]]:
        return await self._run(self._base.embed_flow(texts, model))  # type: ignore[no-any-return]

    async def pull(self, model: str) -> AsyncIterator[PullStatus]:
        await self._ready()
        stream = self._transport.drive(pull_flow(self._base, model))
        try:
            async for status in stream:
                yield status  # type: ignore[misc]
        finally:
            await stream.aclose()

    async def is_available(self) -> bool:
        try:
            return bool(await self._run(self._base.available_flow()))
        except Exception:
            return False

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


__all__ = ["AsyncClient", "Client"]
