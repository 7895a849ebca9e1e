"""Backend auto-detection: ask cheap GET endpoints and trust only the body's shape.

LM Studio answers 200 to unknown paths, so a status alone never identifies a server.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any

from .._io import HttpRequest, HttpResponse, Send, send
from ..errors import ProtocolError
from . import ollama, openai

BACKENDS = ("ollama", "openai")


def json_body(resp: HttpResponse) -> Any:
    if not resp.ok:
        return None
    try:
        return json.loads(resp.body)
    except ValueError:
        return None


def looks_like_ollama(resp: HttpResponse) -> bool:
    body = json_body(resp)
    return isinstance(body, dict) and isinstance(body.get("version"), str) and len(body) <= 3


def looks_like_openai(resp: HttpResponse) -> bool:
    body = json_body(resp)
    return isinstance(body, dict) and isinstance(body.get("data"), list)


def detect(base: str, connect: float | None, read: float | None
           ) -> Generator[Send, HttpResponse, str]:
    """Ollama first (it also serves ``/v1``, but its native API is richer), then OpenAI."""
    if base.rstrip("/").endswith("/v1"):
        return openai.NAME
    resp = yield from send(HttpRequest("GET", base.rstrip("/") + "/api/version"), connect, read)
    if looks_like_ollama(resp):
        return ollama.NAME
    resp = yield from send(HttpRequest("GET", openai.api_root(base) + "/models"), connect, read)
    if looks_like_openai(resp):
        return openai.NAME
    raise ProtocolError(
        f"No Ollama or OpenAI-compatible API answers at {base}",
        url=base, status=resp.status, body=resp.body[:300].decode("utf-8", "replace"),
        hint="Check the URL and port, or pass backend='ollama' / backend='openai'.")
