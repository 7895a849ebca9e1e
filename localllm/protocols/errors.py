"""Turn an error answer (HTTP status + body, or an in-stream error record) into a typed error."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
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
from .error_table import IN_2XX, OLLAMA, OPENAI_COMPATIBLE, TABLES, Rule

_CONTEXT_WORDS = re.compile(
    r"exceed_context_size|context (length|size|window)|too (long|many tokens)|"
    r"exceeds? the (available )?context|maximum context", re.I)
_MODEL_MISSING = re.compile(r"model.*(not found|does not exist)|(unknown|no such) model", re.I)


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """An error answer as the server wrote it, in every shape seen in the field: OpenAI /
    llama.cpp nested ``{"error": {...}}``, vLLM / SGLang flat ``{"object": "error", ...}``,
    Ollama / LM Studio ``{"error": "text"}``."""

    message: str
    #: The ``type`` and ``code`` values, as text (what table rows look for).
    kinds: tuple[str, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)
    #: A status the record states itself (``"code": 400`` in an in-stream error).
    status: int | None = None


def error_report(payload: Any) -> ErrorReport:
    if isinstance(payload, Mapping):
        err = payload.get("error", payload)
        if isinstance(err, str):
            return ErrorReport(err)
        if isinstance(err, Mapping):
            message = err.get("message") or err.get("detail") or err.get("msg")
            kinds = tuple(str(err[k]) for k in ("type", "code") if err.get(k) not in (None, ""))
            code = err.get("code")
            stated = code if isinstance(code, int) and 400 <= code < 600 else None
            return ErrorReport(str(message) if message else json.dumps(err), kinds, dict(err),
                               stated)
    return ErrorReport(str(payload))


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
    """The typed error of an HTTP error answer (or of a 2xx answer whose body is an error)."""
    text = body.decode("utf-8", "replace")
    try:
        report = error_report(json.loads(text))
    except ValueError:
        report = ErrorReport(text.strip()[:300] or f"HTTP {status}")
        if text.lstrip()[:1] == "<":
            message = f"HTML page instead of an API answer: {_html_title(text)}"
            if status < 400:
                return ProtocolError(message, status=status, body=text, hint=(
                    "Something other than an LLM API answered; check the base URL and port."),
                    **where)
            report = ErrorReport(message)
    return classify(status, report, body=text, retry_after_s=retry_after(headers), **where)


def from_record(record: Mapping[str, Any], body: str, where: Mapping[str, Any]
                ) -> LocalLLMError:
    """The typed error of an error record inside a 200 stream."""
    return classify(200, error_report(record), body=body, **where)


def rule_for(status: int, report: ErrorReport, backend: str | None
             ) -> tuple[Rule, re.Match[str] | bool] | None:
    """The table row that claims this error, with its message match."""
    effective = status if status >= 400 else (report.status or IN_2XX)
    for rule in TABLES.get(backend or "", OLLAMA + OPENAI_COMPATIBLE):
        found = rule.matches(effective, report.message, report.kinds)
        if found:
            return rule, found
    return None


def classify(status: int, report: ErrorReport, *, body: str | None = None,
             retry_after_s: float | None = None, **where: Any) -> LocalLLMError:
    """A family row of the error table where one claims it, else by status alone."""
    in_stream = status < 400
    stated = status if not in_stream else report.status
    kw = {"status": stated or status, "body": body, **where}
    message = report.message
    claimed = rule_for(status, report, where.get("backend"))
    if claimed is not None:
        rule, found = claimed
        numbers = found.groupdict() if isinstance(found, re.Match) else {}
        error = _build(rule.error, message, rule.hint, numbers, report, retry_after_s, kw)
        error.rule = rule.id
        return error
    if stated in (401, 403):
        return AuthenticationError(f"Server refused the credentials: {message}", hint=(
            "Pass api_key= (or set LOCALLLM_API_KEY) with a key the server accepts."), **kw)
    if stated == 429:
        return RateLimited(f"Rate limited: {message}", retry_after=retry_after_s,
                           hint="Lower concurrency or wait; retried automatically.", **kw)
    if (stated is None or 400 <= stated < 500) and (
            _CONTEXT_WORDS.search(" ".join(report.kinds)) or _CONTEXT_WORDS.search(message)):
        return _build(ContextOverflow, message, _CONTEXT_HINT, {}, report, None, kw)
    if stated == 404 or (stated is None and _MODEL_MISSING.search(message)):
        if _MODEL_MISSING.search(message):
            return _build(ModelNotFound, message, _MODEL_HINT, {}, report, None, kw)
        return BadRequest(f"Endpoint not found: {message}", hint=(
            "The server does not serve this path; check the base URL and backend."), **kw)
    if stated is not None and stated >= 500:
        return ServerError(f"Server error: {message}", retry_after=retry_after_s, hint=(
            "The server failed; 502/503/504 are retried. Check the server's log."), **kw)
    if stated is not None and 400 <= stated < 500:
        return BadRequest(f"Server rejected the request: {message}", hint=(
            "Check the request parameters against what this server supports."), **kw)
    return ServerError(f"Server reported an error inside the stream: {message}", hint=(
        "The server failed while generating; check its log. Output so far was not "
        "returned as a complete answer."), **kw)


_CONTEXT_HINT = ("Shorten the conversation, lower max_tokens, or start the server with a "
                 "larger context (llama.cpp -c / n_parallel, Ollama num_ctx).")
_MODEL_HINT = "Use a model the server has (client.models()), or pull it first (ollama pull)."


def _build(cls: type[LocalLLMError], message: str, hint: str, numbers: Mapping[str, Any],
           report: ErrorReport, retry_after_s: float | None, kw: dict[str, Any]
           ) -> LocalLLMError:
    if cls is ContextOverflow:
        return ContextOverflow(
            f"Prompt does not fit the model's context: {message}",
            n_prompt_tokens=_int(numbers.get("n_prompt_tokens") or
                                 report.fields.get("n_prompt_tokens")),
            n_ctx=_int(numbers.get("n_ctx") or report.fields.get("n_ctx")), hint=hint, **kw)
    if cls is ModelNotFound:
        return ModelNotFound(f"Model {kw.get('model')!r} not found: {message}", hint=hint, **kw)
    if issubclass(cls, ServerError):
        return cls(f"Server error: {message}", retry_after=retry_after_s, hint=hint, **kw)
    if cls is AuthenticationError:
        return cls(f"Server refused the credentials: {message}", hint=hint, **kw)
    return cls(f"Server rejected the request: {message}", hint=hint, **kw)


def number(value: Any) -> Any:
    """A JSON number, or None for anything else (bools and strings included)."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def unexpected_shape(text: str, where: Mapping[str, Any]) -> ProtocolError:
    return ProtocolError(f"Stream record has an unexpected shape: {text[:200]!r}", body=text,
                         hint="The server's stream does not match its protocol; check the "
                         "backend setting and the server version.", **where)


def _int(value: Any) -> int | None:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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
