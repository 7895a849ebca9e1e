"""The fault catalogue: what the server does, and what the client must make of it.

Every case names the typed error (or success), how many chat requests the server must see
(retries only before the first token), how long the outcome may take (the relevant timeout
plus any Retry-After / backoff waits; the matrix adds 1 s), and what streamed before a
mid-stream failure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localllm.errors import (
    AuthenticationError,
    ConnectionFailed,
    ContextOverflow,
    FirstTokenTimeout,
    IdleTimeout,
    LocalLLMError,
    ModelNotFound,
    ProtocolError,
    RateLimited,
    ServerError,
    StreamInterrupted,
)
from localllm.types import Timeouts

from .fault_server import MODELS, OK, OLLAMA, TEXT, Step

TEN_MIB = 10 * 1024 * 1024
FULL_TEXT = "".join(TEXT)
BACKOFF_2 = 0.75  # the most two exponential backoff waits can take (0.25 s + 0.5 s)


def _not_found(proto: str) -> dict[str, Any]:
    if proto == OLLAMA:
        return {"error": "model 'missing-model' not found"}
    return {"error": {"code": 404, "message": "model not found", "type": "not_found_error"}}


def _overflow(proto: str) -> dict[str, Any]:
    if proto == OLLAMA:
        return {"error": "the input length exceeds the context length"}
    return {"error": {"code": 400, "message": "the request exceeds the available context size, "
                      "try increasing it", "type": "exceed_context_size_error",
                      "n_prompt_tokens": 5000, "n_ctx": 4096}}


def _error(proto: str, message: str) -> dict[str, Any]:
    return {"error": message} if proto == OLLAMA else {
        "error": {"code": 0, "message": message, "type": "server_error"}}


HTML = (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
        b"<body><center><h1>502 Bad Gateway</h1></center><hr>nginx</body></html>")
CAPTIVE = b"<html><head><title>Welcome</title></head><body>Router login</body></html>"


def text_then(*tail: tuple[Any, ...], words: int = 2) -> tuple[tuple[Any, ...], ...]:
    """The first ``words`` pieces of the normal answer, each in its own read, then ``tail``."""
    out: list[tuple[Any, ...]] = []
    for word in TEXT[:words]:
        out += [("text", word), ("pause", 0.05)]
    return (*out, *tail)


@dataclass(frozen=True)
class Case:
    id: str
    steps: tuple[Step, ...]
    error: type[LocalLLMError] | None
    requests: int  # chat requests the server must see
    budget: Callable[[Timeouts], float]  # seconds; the matrix allows this + 1 s
    partial: str | None = None  # the streamed text a mid-stream error must carry in .partial
    refused: bool = False  # point the client at a closed port instead
    hangs: bool = False  # the server keeps the connection: the CLIENT must close it (< 1 s)
    at_least: float = 0.0  # the outcome may not come sooner (a timeout or a Retry-After)
    check: Callable[[LocalLLMError], Any] | None = None


def _quick(t: Timeouts) -> float:
    return 0.5


def _first(t: Timeouts) -> float:
    return float(t.first_token or 0)


def _idle(t: Timeouts) -> float:
    return float(t.idle or 0) + 0.2


def _backoff(t: Timeouts) -> float:
    return BACKOFF_2 + 0.5


def _after(seconds: float) -> Callable[[Timeouts], float]:
    return lambda t: seconds + 0.5


RESET = Step(before="reset")
HOLD_SILENT = Step(items=(), end="hold")
S503 = Step(status=503, json=lambda p: _error(p, "Loading model"),
            headers=(("Retry-After", "0.3"),))


def _is_503(e: LocalLLMError) -> Any:
    assert isinstance(e, ServerError) and e.status == 503 and e.retry_after == 0.3


def _lists_models(e: LocalLLMError) -> Any:
    assert isinstance(e, ModelNotFound) and set(MODELS) <= set(e.available), e.available
    assert e.status == 404


def _overflow_fields(e: LocalLLMError) -> Any:
    assert isinstance(e, ContextOverflow) and e.status == 400
    if e.backend == "openai":
        assert (e.n_prompt_tokens, e.n_ctx) == (5000, 4096)


def _too_long(e: LocalLLMError) -> Any:
    assert "longer than" in e.message


CASES: list[Case] = [
    Case("ok", (OK,), None, 1, _quick),
    Case("keepalive-pings", (Step(items=(
        ("ping",), ("pause", 0.1), ("ping",), ("text", TEXT[0]), ("ping",), ("ping",),
        *(("text", w) for w in TEXT[1:]), ("ping",), ("final",))),), None, 1, _quick),
    Case("pings-but-no-token", (Step(items=(("ping",), ("pause", 0.3)) * 8, end="hold"),),
         FirstTokenTimeout, 1, _first, hangs=True, at_least=1.0),
    Case("refused-port", (), ConnectionFailed, 0, _backoff, refused=True),
    Case("reset-before-headers", (RESET, RESET, RESET), ConnectionFailed, 3, _backoff),
    Case("reset-before-headers-once", (RESET, OK), None, 2, _backoff),
    Case("reset-after-headers-before-output", (Step(items=(), end="reset"), OK), None, 2,
         _backoff),
    Case("reset-mid-stream", (Step(items=text_then(), end="reset"),), StreamInterrupted, 1,
         _quick, partial="".join(TEXT[:2])),
    Case("eof-mid-chunk", (Step(items=text_then(), end="close"),), StreamInterrupted, 1,
         _quick, partial="".join(TEXT[:2])),
    # blocking clients notice at once; aiohttp's C parser drops the connection without
    # waking the reader, so async clients learn of it when the idle wait ends (then named
    # as a broken answer, not a stall)
    Case("broken-chunk-framing", (Step(items=text_then(), end="bad-framing"),),
         StreamInterrupted, 1, _idle, partial="".join(TEXT[:2]), hangs=True),
    Case("body-ends-without-done", (Step(items=text_then()),), StreamInterrupted, 1, _quick,
         partial="".join(TEXT[:2])),
    Case("malformed-line", (Step(items=text_then(("malformed",), ("final",), words=1)),),
         ProtocolError, 1, _quick, partial=TEXT[0]),
    Case("malformed-first-line", (Step(items=(("malformed",), ("final",))),), ProtocolError, 1,
         _quick),
    Case("10mib-line", (Step(items=(("huge", TEN_MIB), ("final",))),), ProtocolError, 1,
         _quick, check=_too_long),
    Case("drip-slower-than-idle", (Step(items=text_then(("pause", 2.0), ("text", "late"),
                                                        ("final",), words=1)),),
         IdleTimeout, 1, _idle, partial=TEXT[0], hangs=True, at_least=0.5),
    Case("headers-then-no-token", (HOLD_SILENT,), FirstTokenTimeout, 1, _first, hangs=True,
         at_least=1.0),
    Case("never-answers-headers", (Step(before="hold"),), FirstTokenTimeout, 1, _first,
         hangs=True, at_least=1.0),
    Case("503-retry-after-then-ok", (S503, OK), None, 2, _after(0.3), at_least=0.3),
    Case("503-always", (S503, S503, S503), ServerError, 3, _after(0.6), at_least=0.6,
         check=_is_503),
    Case("429-retry-after-then-ok", (Step(status=429, json=lambda p: _error(p, "busy"),
                                          headers=(("Retry-After", "0.2"),)), OK),
         None, 2, _after(0.2), at_least=0.2),
    Case("429-always", (Step(status=429, json=lambda p: _error(p, "slow down")),) * 3,
         RateLimited, 3, _backoff),
    Case("500-not-retried", (Step(status=500, json=lambda p: _error(p, "runner crashed")),),
         ServerError, 1, _quick),
    Case("401", (Step(status=401, json=lambda p: _error(p, "invalid api key")),),
         AuthenticationError, 1, _quick),
    Case("model-not-found", (Step(status=404, json=_not_found),), ModelNotFound, 1, _quick,
         check=_lists_models),
    Case("context-overflow", (Step(status=400, json=_overflow),), ContextOverflow, 1, _quick,
         check=_overflow_fields),
    Case("error-record-mid-stream", (Step(items=text_then(
        ("error", "llama runner process has terminated"), words=1)),), ServerError, 1, _quick,
        partial=TEXT[0]),
    Case("error-record-first", (Step(items=(("error", "failed to load model"),)),),
         ServerError, 1, _quick),
    Case("html-page-200", (Step(body=CAPTIVE, content_type="text/html"),), ProtocolError, 1,
         _quick),
    Case("html-502-then-ok", (Step(status=502, body=HTML, content_type="text/html"), OK),
         None, 2, _backoff),
    Case("gzip-compressed-stream", (Step(encoding="gzip"),), None, 1, _quick),
    Case("content-length-stream", (Step(encoding="identity"),), None, 1, _quick),
    Case("content-length-body-cut", (Step(encoding="identity", end="close"),),
         StreamInterrupted, 1, _quick, partial="".join(TEXT)),
    # the answer is complete; only the connection cannot be reused
    Case("content-length-overlong", (Step(encoding="identity", end="overlong"),), None, 1,
         _quick),
    Case("corrupt-gzip-body", (Step(encoding="gzip-corrupt"),), ProtocolError, 1, _quick),
    Case("wrong-stream-protocol", (Step(swap=True),), ProtocolError, 1, _quick),
    Case("non-http-banner", (Step(before=b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"),),
         ProtocolError, 1, _quick),
]

BY_ID = {c.id: c for c in CASES}
# Auto-detection cells: a representative subset, for both server flavours.
AUTO_IDS = ["ok", "keepalive-pings", "refused-port", "reset-before-headers-once",
            "reset-mid-stream", "body-ends-without-done", "503-retry-after-then-ok", "401",
            "model-not-found", "wrong-stream-protocol"]
