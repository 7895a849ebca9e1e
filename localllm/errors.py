"""Typed errors. Each says what happened, where (url, backend, model) and what to do next.

Errors are built from status and body only, never by chaining a transport exception that
could carry request headers (and so an API key) in its repr.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .types import ChatResult

_BODY_LIMIT = 2000


class LocalLLMError(Exception):
    """Base of every error this library raises."""

    retryable = False
    #: What arrived before a mid-stream failure (a ``ChatResult``); None before output.
    partial: ChatResult | None = None
    #: The error-table row (``localllm.protocols.error_table``) that classified a server's
    #: error answer; None when its status alone decided.
    rule: str | None = None

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        backend: str | None = None,
        model: str | None = None,
        status: int | None = None,
        body: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.url = url
        self.backend = backend
        self.model = model
        self.status = status
        self.body = body[:_BODY_LIMIT] if body else body
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        where = ", ".join(
            f"{k}={v}"
            for k, v in (("url", self.url), ("backend", self.backend), ("model", self.model),
                         ("status", self.status))
            if v is not None
        )
        text = self.message + (f" [{where}]" if where else "")
        if self.hint:
            text += f" Hint: {self.hint}"
        return text

    def fill(self, **context: Any) -> LocalLLMError:
        """Add where-information known only to outer layers (url, backend, model)."""
        for key, value in context.items():
            if value is not None and getattr(self, key, None) is None:
                setattr(self, key, value)
        self.args = (self._render(),)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self._fields()))

    def _fields(self) -> dict[str, Any]:
        return {"url": self.url, "backend": self.backend, "model": self.model,
                "status": self.status, "body": self.body, "hint": self.hint}


def _rebuild(cls: type[LocalLLMError], message: str, fields: dict[str, Any]) -> LocalLLMError:
    return cls(message, **fields)


class ConnectionFailed(LocalLLMError):
    """Refused, DNS, TLS or reset before a response arrived."""

    retryable = True


class Timeout(LocalLLMError):
    """A phase of the request took longer than its limit."""


class ConnectTimeout(Timeout):
    retryable = True


class FirstTokenTimeout(Timeout):
    """No output within ``first_token``; not retried: the server may still be loading."""


class IdleTimeout(Timeout):
    """The stream went quiet for longer than ``idle``."""


class TotalTimeout(Timeout):
    """The whole request took longer than ``total``."""


class QueueTimeout(Timeout):
    """No slot of the server came free within ``queue`` (``max_concurrency`` reached);
    nothing was sent. Not retried, and the server is not ejected: it is busy, not down."""


class ServerError(LocalLLMError):
    """5xx. 502/503/504 are retried before the first token, honouring Retry-After."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        return self.status in (502, 503, 504) or self.status is None

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "retry_after": self.retry_after}


class RateLimited(ServerError):
    """429: retried before the first token, honouring Retry-After."""

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        return True


class AuthenticationError(LocalLLMError):
    """401/403: wrong or missing API key. Never retried."""


class ModelNotFound(LocalLLMError):
    """The server does not have the model; ``available`` lists what it has (when known)."""

    def __init__(self, message: str, *, available: tuple[str, ...] = (), **kw: Any) -> None:
        self.available = tuple(available)
        if available and "Available" not in message:
            message += f" Available models: {', '.join(self.available)}."
        super().__init__(message, **kw)

    def set_available(self, names: Any) -> None:
        self.available = tuple(names)
        if self.available:
            names = ", ".join(self.available)
            self.message = self.message.rstrip(".") + f". Available models: {names}."
            self.args = (self._render(),)

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "available": self.available}


class ContextOverflow(LocalLLMError):
    """The prompt does not fit the context the server serves per request."""

    def __init__(self, message: str, *, n_prompt_tokens: int | None = None,
                 n_ctx: int | None = None, **kw: Any) -> None:
        self.n_prompt_tokens = n_prompt_tokens
        self.n_ctx = n_ctx
        super().__init__(message, **kw)

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "n_prompt_tokens": self.n_prompt_tokens,
                "n_ctx": self.n_ctx}


class BadRequest(LocalLLMError):
    """Another 4xx: the server rejected the request; its message is included."""


class ProtocolError(LocalLLMError):
    """The server answered something this client cannot read as the expected protocol."""


class StreamInterrupted(LocalLLMError):
    """The stream ended before the server said it was complete; ``partial`` has what came."""

    def __init__(self, message: str, *, partial: ChatResult | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.partial = partial

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "partial": self.partial}


__all__ = [
    "AuthenticationError",
    "BadRequest",
    "ConnectTimeout",
    "ConnectionFailed",
    "ContextOverflow",
    "FirstTokenTimeout",
    "IdleTimeout",
    "LocalLLMError",
    "ModelNotFound",
    "ProtocolError",
    "QueueTimeout",
    "RateLimited",
    "ServerError",
    "StreamInterrupted",
    "Timeout",
    "TotalTimeout",
]
