"""Turn an error answer (HTTP status + body, or an in-stream error record) into a typed error."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..errors import (
    AuthenticationError,
    BadRequest,
    ContextOverflow,
    LocalLLMError,
    ModelNotFound,
    ProtocolError,
    RateLimited,
    ServerError,
)

_CONTEXT_WORDS = re.compile(
    r"exceed_context_size|context (length|size|window)|too (long|many tokens)|"
    r"exceeds? the (available )?context|maximum context", re.I)
_MODEL_MISSING = re.compile(r"model.*(not found|does not exist|not loaded|unknown)|"
                            r"(unknown|no such) model", re.I)


def error_message(payload: Any) -> tuple[str, str, dict[str, Any]]:
    """(message, type, fields) from every error shape seen in the field:
    OpenAI/llama.cpp nested ``{"error": {...}}``, vLLM flat ``{"object": "error", ...}``,
    Ollama/LM Studio ``{"error": "text"}``."""
    if isinstance(payload, Mapping):
        err = payload.get("error", payload)
        if isinstance(err, str):
            return err, "", {}
        if isinstance(err, Mapping):
            return (str(err.get("message") or err.get("detail") or json.dumps(err)),
                    str(err.get("type") or err.get("code") or ""), dict(err))
    return str(payload), "", {}


def retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date; rare for local servers, fall back to backoff


def from_response(status: int, body: bytes, headers: Mapping[str, str],
                  **where: Any) -> LocalLLMError:
    text = body.decode("utf-8", "replace")
    try:
        message, kind, fields = error_message(json.loads(text))
    except ValueError:
        message, kind, fields = text.strip()[:300] or f"HTTP {status}", "", {}
        if text.lstrip()[:1] == "<":
            message = f"HTML page instead of an API answer: {_html_title(text)}"
            if status < 400:
                return ProtocolError(message, status=status, body=text, hint=(
                    "Something other than an LLM API answered; check the base URL and port."),
                    **where)
    return classify(status, message, kind, fields, body=text,
                    retry_after_s=retry_after(headers), **where)


def classify(status: int | None, message: str, kind: str = "", fields: Mapping[str, Any] = {},
             *, body: str | None = None, retry_after_s: float | None = None,
             **where: Any) -> LocalLLMError:
    kw = {"status": status, "body": body, **where}
    model = where.get("model")
    if status in (401, 403):
        return AuthenticationError(f"Server refused the credentials: {message}", hint=(
            "Pass api_key= (or set LOCALLLM_API_KEY) with a key the server accepts."), **kw)
    if status == 429:
        return RateLimited(f"Rate limited: {message}", retry_after=retry_after_s,
                           hint="Lower concurrency or wait; retried automatically.", **kw)
    if _CONTEXT_WORDS.search(kind) or _CONTEXT_WORDS.search(message):
        return ContextOverflow(
            f"Prompt does not fit the model's context: {message}",
            n_prompt_tokens=_int(fields.get("n_prompt_tokens")), n_ctx=_int(fields.get("n_ctx")),
            hint="Shorten the conversation, lower max_tokens, or start the server with a "
            "larger context (llama.cpp -c / n_parallel, Ollama num_ctx).", **kw)
    if status == 404 or _MODEL_MISSING.search(message):
        if _MODEL_MISSING.search(message) or "not_found" in kind:
            return ModelNotFound(f"Model {model!r} not found: {message}", hint=(
                "Use a model the server has (client.models()), or pull it first "
                "(ollama pull)."), **kw)
        return BadRequest(f"Endpoint not found: {message}", hint=(
            "The server does not serve this path; check the base URL and backend."), **kw)
    if status is not None and status >= 500:
        return ServerError(f"Server error: {message}", retry_after=retry_after_s, hint=(
            "The server failed; 502/503/504 are retried. Check the server's log."), **kw)
    if status is not None and 400 <= status < 500:
        return BadRequest(f"Server rejected the request: {message}", hint=(
            "Check the request parameters against what this server supports."), **kw)
    return ServerError(f"Server reported an error inside the stream: {message}", hint=(
        "The server failed while generating; check its log. Output so far was not "
        "returned as a complete answer."), **kw)


def number(value: Any) -> Any:
    """A JSON number, or None for anything else (bools and strings included)."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def unexpected_shape(text: str, where: Mapping[str, Any]) -> ProtocolError:
    return ProtocolError(f"Stream record has an unexpected shape: {text[:200]!r}", body=text,
                         hint="The server's stream does not match its protocol; check the "
                         "backend setting and the server version.", **where)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _html_title(text: str) -> str:
    match = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
    return match.group(1).strip()[:120] if match else text.strip()[:120]


def held_back(parsed: list[Any], error: LocalLLMError) -> LocalLLMError:
    """A bad record after good ones in the same read: the caller gets the good ones first
    and then this error (``parser.failure``), as if they had come in separate reads.
    Raises it at once when nothing came before it."""
    if not parsed:
        raise error
    return error
