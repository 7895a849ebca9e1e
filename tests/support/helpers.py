"""Run the same test body against ``Client`` and ``AsyncClient``.

The async side goes through a fresh ``asyncio.run()`` per call on ONE AsyncClient, so every
async test also checks that a client survives event-loop turnover.
"""

from __future__ import annotations

import asyncio
from typing import Any

from localllm import AsyncClient, Client
from localllm.types import Delta


class EitherClient:
    def __init__(self, mode: str, *args: Any, **kw: Any) -> None:
        self.mode = mode
        self.client: Client | AsyncClient = (Client if mode == "sync" else AsyncClient)(
            *args, **kw)

    def _call(self, name: str, *args: Any, **kw: Any) -> Any:
        method = getattr(self.client, name)
        if self.mode == "sync":
            return method(*args, **kw)
        return asyncio.run(method(*args, **kw))

    def chat(self, *args: Any, **kw: Any) -> Any:
        return self._call("chat", *args, **kw)

    def stream(self, *args: Any, **kw: Any) -> list[Delta]:
        if self.mode == "sync":
            return list(self.client.chat_stream(*args, **kw))  # type: ignore[arg-type]

        async def collect() -> list[Delta]:
            return [d async for d in self.client.chat_stream(*args, **kw)]  # type: ignore[union-attr]

        return asyncio.run(collect())

    def first_then_break(self, *args: Any, **kw: Any) -> Delta:
        """Take one output delta and stop reading (break out / aclose)."""
        if self.mode == "sync":
            for d in self.client.chat_stream(*args, **kw):  # type: ignore[union-attr]
                if d.is_output:
                    return d
            raise AssertionError("no output")

        async def one() -> Delta:
            stream = self.client.chat_stream(*args, **kw)
            try:
                async for d in stream:  # type: ignore[union-attr]
                    if d.is_output:
                        return d
            finally:
                await stream.aclose()  # type: ignore[union-attr]
            raise AssertionError("no output")

        return asyncio.run(one())

    def models(self) -> Any:
        return self._call("models")

    def show(self, *args: Any, **kw: Any) -> Any:
        return self._call("show", *args, **kw)

    def embed(self, *args: Any, **kw: Any) -> Any:
        return self._call("embed", *args, **kw)

    def is_available(self) -> bool:
        return bool(self._call("is_available"))

    def close(self) -> None:
        if isinstance(self.client, Client):
            self.client.close()
        else:
            asyncio.run(self.client.aclose())
