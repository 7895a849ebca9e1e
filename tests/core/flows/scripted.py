"""A scripted in-memory transport for driving the pure flows without sockets."""

from __future__ import annotations

from typing import Any

from localllm.flows.commands import Exchange, Open, Read, Sleep


class Script:
    """Answers each Open with the next scripted item: an HttpResponse plus body chunks, or an
    exception. Reads pop chunks; an exception object among the chunks is raised."""

    def __init__(self, *items: Any) -> None:
        self.items = list(items)
        self.log: list[Any] = []
        self.chunks: list[Any] = []

    def handle(self, cmd: Any) -> Any:
        self.log.append(cmd)
        if isinstance(cmd, (Open, Exchange)):
            item = self.next_item()
            if isinstance(item, Exception):
                raise item
            return self.answer(item[0], list(item[1]))
        if isinstance(cmd, Read):
            if not self.chunks:
                return b""
            chunk = self.chunks.pop(0)
            if isinstance(chunk, Exception):
                raise chunk
            return chunk
        return None

    def next_item(self) -> Any:
        return self.items.pop(0)

    def answer(self, resp: Any, chunks: list[Any]) -> Any:
        self.chunks = chunks
        return resp

    @property
    def opens(self) -> list[str]:
        return [c.request.url for c in self.log if isinstance(c, Open)]

    @property
    def sleeps(self) -> list[float]:
        return [c.seconds for c in self.log if isinstance(c, Sleep)]
