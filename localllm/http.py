"""Plain HTTP values passed between the layers: what to send, what came back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class HttpRequest:
    """One request; ``json`` is the body (encoded by the transport). ``headers`` are this
    request's own, added to the client's."""

    method: str
    url: str
    json: Any = None
    headers: dict[str, str] | None = None


@dataclass(slots=True)
class HttpResponse:
    """Status, headers and — for whole answers and refusals — the (bounded) body."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", self.headers.get("content-type", "")).lower()

    def json_or_none(self) -> Any:
        """The parsed body of a 2xx JSON answer; None for anything else."""
        if not self.ok:
            return None
        import json

        try:
            return json.loads(self.body)
        except ValueError:
            return None
