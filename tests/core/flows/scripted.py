"""A scripted in-memory transport for driving the pure flows without sockets."""

from __future__ import annotations

from typing import Any

from localllm.errors import LocalLLMError
from localllm.flows.commands import Emit, Exchange, Open, Read, Sleep
from localllm.types import Delta


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


def drive(flow: Any, script: Script, log_emits: bool = False
          ) -> tuple[list[Delta], LocalLLMError | None]:
    """A minimal driver: the deltas the flow emits, and the typed error it ended with
    (anything else escapes and fails the test)."""
    deltas: list[Delta] = []
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            cmd = flow.throw(error) if error else flow.send(value)
        except StopIteration:
            return deltas, None
        except LocalLLMError as exc:
            return deltas, exc
        value = error = None
        if isinstance(cmd, Emit):
            deltas += cmd.items
            if log_emits:
                script.log.append(cmd)
            if cmd.then_read is None:
                continue
            cmd = cmd.then_read
        try:
            value = script.handle(cmd)
        except Exception as exc:
            error = exc
