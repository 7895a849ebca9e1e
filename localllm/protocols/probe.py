"""Backend auto-detection, pure: which requests to ask and how to read their answers.

Only the body's shape counts: LM Studio answers 200 to unknown paths, so a status alone
never identifies a server. The flow that sends these is ``flows.backend``.
"""

from __future__ import annotations

from ..errors import ProtocolError
from ..http import HttpRequest, HttpResponse
from . import ollama, openai


def answered_by_url(base: str) -> str | None:
    """A URL ending in ``/v1`` names an OpenAI-compatible API without asking."""
    return openai.NAME if base.rstrip("/").endswith("/v1") else None


def questions(base: str) -> list[tuple[str, HttpRequest]]:
    """In order: Ollama first (it also serves ``/v1``, but its native API is richer)."""
    return [(ollama.NAME, ollama.version_request(base)),
            (openai.NAME, openai.models_request(base))]


def answers_as(backend: str, resp: HttpResponse) -> bool:
    body = resp.json_or_none()
    if backend == ollama.NAME:
        return isinstance(body, dict) and isinstance(body.get("version"), str) \
            and len(body) <= 3
    return isinstance(body, dict) and isinstance(body.get("data"), list)


def not_detected(base: str, last: HttpResponse | None) -> ProtocolError:
    return ProtocolError(
        f"No Ollama or OpenAI-compatible API answers at {base}", url=base,
        status=last.status if last else None,
        body=last.body[:300].decode("utf-8", "replace") if last else None,
        hint="Check the URL and port, or pass backend='ollama' / backend='openai'.")
