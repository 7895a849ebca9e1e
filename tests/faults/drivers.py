"""Drivers: the one thing the fault matrix needs from a client stack.

A driver opens a session for a ``Run`` (base URL(s), backend, timeouts, retries, key) and
runs one streamed chat in it: content pieces are appended to ``pieces`` as they arrive and
the whole content is returned, or an exception is raised. The matrix then finds the
``LocalLLMError`` (the exception itself or one in its ``__cause__`` chain, which is how the
LangChain / LlamaIndex adapters will surface it) and checks it.

Adding an adapter to the matrix = adding a ``Driver`` subclass to ``DRIVERS``.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from localllm import AsyncClient, Client, Timeouts
from localllm.errors import LocalLLMError

FAST = Timeouts(connect=1, first_token=1, idle=0.5)
MODEL = "fake-model"


@dataclass(frozen=True)
class Run:
    base_url: str | list[str]
    backend: str = "auto"
    timeout: Timeouts = FAST
    max_retries: int = 2
    api_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. max_line_bytes

    def client_kwargs(self) -> dict[str, Any]:
        return {"backend": self.backend, "timeout": self.timeout,
                "max_retries": self.max_retries, "api_key": self.api_key, **self.extra}


class Session(ABC):
    """One client object, reused across calls (so endpoint preference is observable)."""

    @abstractmethod
    def stream(self, pieces: list[str], *, model: str = MODEL, stop_after: int | None = None,
               how: str = "break", after: Callable[[], object] | None = None) -> str:
        """Stream one chat. ``stop_after=n``: stop consuming after n content pieces, either
        by leaving the loop (``how="break"``) or, for async drivers, by cancelling the task
        that consumes the stream (``how="cancel"``). ``after`` runs once the stream ended,
        failed or was stopped — for async drivers in a thread while the event loop still
        runs, so a check there cannot be satisfied by the loop's own shutdown."""

    @abstractmethod
    def close(self) -> None: ...


class Driver(ABC):
    name: str
    mode: str  # "sync" | "async"

    @abstractmethod
    def open(self, run: Run) -> Session: ...


class _CoreSync(Session):
    def __init__(self, run: Run) -> None:
        self.client = Client(run.base_url, **run.client_kwargs())

    def _pieces(self, model: str) -> Iterator[str]:
        return (d.content for d in self.client.chat_stream("hi", model=model, max_tokens=16)
                if d.content)

    def stream(self, pieces: list[str], *, model: str = MODEL, stop_after: int | None = None,
               how: str = "break", after: Callable[[], object] | None = None) -> str:
        try:
            stream = self._pieces(model)
            try:
                for piece in stream:
                    pieces.append(piece)
                    if stop_after is not None and len(pieces) >= stop_after:
                        break  # releasing the stream here must close the response
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
            return "".join(pieces)
        finally:
            if after is not None:
                after()

    def close(self) -> None:
        self.client.close()


class _CoreAsync(Session):
    def __init__(self, run: Run) -> None:
        self.client = AsyncClient(run.base_url, **run.client_kwargs())

    async def _apieces(self, model: str) -> AsyncIterator[str]:
        async for delta in self.client.chat_stream("hi", model=model, max_tokens=16):
            if delta.content:
                yield delta.content

    async def _consume(self, pieces: list[str], model: str, stop_after: int | None,
                       got_enough: asyncio.Event | None) -> str:
        stream = self._apieces(model)
        try:
            async for piece in stream:
                pieces.append(piece)
                if stop_after is not None and len(pieces) >= stop_after:
                    if got_enough is None:
                        break
                    got_enough.set()  # keep awaiting: the test cancels this task
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        return "".join(pieces)

    async def _run(self, pieces: list[str], model: str, stop_after: int | None, how: str,
                   after: Callable[[], object] | None) -> str:
        try:
            return await self._run_stream(pieces, model, stop_after, how)
        finally:
            if after is not None:
                await asyncio.to_thread(after)

    async def _run_stream(self, pieces: list[str], model: str, stop_after: int | None,
                          how: str) -> str:
        if how != "cancel":
            return await self._consume(pieces, model, stop_after, None)
        got_enough = asyncio.Event()
        task = asyncio.ensure_future(self._consume(pieces, model, stop_after, got_enough))
        waiter = asyncio.ensure_future(got_enough.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return "".join(pieces)

    def stream(self, pieces: list[str], *, model: str = MODEL, stop_after: int | None = None,
               how: str = "break", after: Callable[[], object] | None = None) -> str:
        return asyncio.run(self._run(pieces, model, stop_after, how, after))

    def close(self) -> None:
        asyncio.run(self.client.aclose())


class CoreSync(Driver):
    name, mode = "core", "sync"

    def open(self, run: Run) -> Session:
        return _CoreSync(run)


class CoreAsync(Driver):
    name, mode = "core", "async"

    def open(self, run: Run) -> Session:
        return _CoreAsync(run)


def _adapter_kwargs(run: Run, model: str) -> dict[str, Any]:
    return {"model": model, "base_url": run.base_url, "backend": run.backend,
            "timeout": run.timeout, "max_retries": run.max_retries, "api_key": run.api_key,
            "max_tokens": 16}


class _LangChainSync(_CoreSync):
    def __init__(self, run: Run) -> None:
        from langchain_localllm import ChatLocalLLM

        self.llm = ChatLocalLLM(**_adapter_kwargs(run, MODEL))
        self.client = self.llm.client  # the adapter's own core client: close() closes it

    def _pieces(self, model: str) -> Iterator[str]:
        return (str(c.content) for c in self.llm.stream("hi", model=model) if c.content)


class _LangChainAsync(_CoreAsync):
    def __init__(self, run: Run) -> None:
        from langchain_localllm import ChatLocalLLM

        self.llm = ChatLocalLLM(**_adapter_kwargs(run, MODEL))
        self.client = self.llm.async_client

    async def _apieces(self, model: str) -> AsyncIterator[str]:
        async for chunk in self.llm.astream("hi", model=model):
            if chunk.content:
                yield str(chunk.content)


def _li_messages() -> list[Any]:
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role="user", content="hi")]


class _LlamaIndexSync(_CoreSync):
    def __init__(self, run: Run) -> None:
        from llamaindex_localllm import LocalLLM

        # context and tool support given, so no metadata requests blur the request counts
        self.llm = LocalLLM(**_adapter_kwargs(run, MODEL), context_window=4096,
                            is_function_calling_model=True)
        self.client = self.llm.client

    def _pieces(self, model: str) -> Iterator[str]:
        return (r.delta for r in self.llm.stream_chat(_li_messages(), model=model) if r.delta)


class _LlamaIndexAsync(_CoreAsync):
    def __init__(self, run: Run) -> None:
        from llamaindex_localllm import LocalLLM

        # context and tool support given, so no metadata requests blur the request counts
        self.llm = LocalLLM(**_adapter_kwargs(run, MODEL), context_window=4096,
                            is_function_calling_model=True)
        self.client = self.llm.async_client

    async def _apieces(self, model: str) -> AsyncIterator[str]:
        async for response in await self.llm.astream_chat(_li_messages(), model=model):
            if response.delta:
                yield response.delta


def _driver(name: str, mode: str, session: type[Session]) -> Driver:
    return type(f"{name}_{mode}", (Driver,), {"name": name, "mode": mode,
                                              "open": lambda self, run: session(run)})()


DRIVERS: list[Driver] = [
    CoreSync(), CoreAsync(),
    _driver("langchain", "sync", _LangChainSync), _driver("langchain", "async", _LangChainAsync),
    _driver("llamaindex", "sync", _LlamaIndexSync),
    _driver("llamaindex", "async", _LlamaIndexAsync),
]


def driver_id(driver: Driver) -> str:
    return f"{driver.name}-{driver.mode}"


def localllm_error(exc: BaseException) -> LocalLLMError | None:
    """The typed error itself, or the first one in the ``__cause__`` chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, LocalLLMError):
            return seen
        seen = seen.__cause__
    return None
