"""Core errors re-raised as LangChain's own exception types, named after the core ones
(``localllm.errors.ContextOverflow`` → ``ContextOverflowError``).

Each class inherits from BOTH the core error and the matching ``langchain_core.exceptions``
type (when the installed langchain-core has it), so ``except ModelTimeoutError`` and
``except localllm.errors.Timeout`` both work. The original core error is the ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langchain_core import exceptions as lc

from localllm import errors as core


def _lc(name: str) -> type[Exception]:
    found: type[Exception] = getattr(lc, name, lc.LangChainException)  # older: the base
    return found


class LocalLLMError(core.LocalLLMError, _lc("ModelError")):  # type: ignore[misc]
    """Any other core error (the base of the tree)."""


class ConnectionFailedError(core.ConnectionFailed, _lc("ModelConnectionError")):  # type: ignore[misc]
    pass


class TimeoutError(core.Timeout, _lc("ModelTimeoutError")):  # type: ignore[misc]
    pass


class ConnectTimeoutError(core.ConnectTimeout, _lc("ModelTimeoutError")):  # type: ignore[misc]
    pass


class FirstTokenTimeoutError(core.FirstTokenTimeout, _lc("ModelTimeoutError")):  # type: ignore[misc]
    pass


class IdleTimeoutError(core.IdleTimeout, _lc("ModelTimeoutError")):  # type: ignore[misc]
    pass


class TotalTimeoutError(core.TotalTimeout, _lc("ModelTimeoutError")):  # type: ignore[misc]
    pass


class RateLimitedError(core.RateLimited, _lc("ModelRateLimitError")):  # type: ignore[misc]
    pass


class ServerError(core.ServerError, _lc("ModelAPIError")):  # type: ignore[misc]
    pass


class AuthenticationError(core.AuthenticationError, _lc("ModelAuthenticationError")):  # type: ignore[misc]
    pass


class ModelNotFoundError(core.ModelNotFound, _lc("ModelNotFoundError")):  # type: ignore[misc]
    pass


class ContextOverflowError(core.ContextOverflow, _lc("ContextOverflowError")):  # type: ignore[misc]
    pass


class BadRequestError(core.BadRequest, _lc("ModelInvalidRequestError")):  # type: ignore[misc]
    pass


class ProtocolError(core.ProtocolError, _lc("ModelAPIError")):  # type: ignore[misc]
    pass


class StreamInterruptedError(core.StreamInterrupted, _lc("ModelAPIError")):  # type: ignore[misc]
    pass


# Most specific first: RateLimited before ServerError, the timeouts before Timeout.
_MAP: list[tuple[type[core.LocalLLMError], type[core.LocalLLMError]]] = [
    (core.ConnectionFailed, ConnectionFailedError), (core.ConnectTimeout, ConnectTimeoutError),
    (core.FirstTokenTimeout, FirstTokenTimeoutError), (core.IdleTimeout, IdleTimeoutError),
    (core.TotalTimeout, TotalTimeoutError), (core.Timeout, TimeoutError),
    (core.RateLimited, RateLimitedError), (core.ServerError, ServerError),
    (core.AuthenticationError, AuthenticationError), (core.ModelNotFound, ModelNotFoundError),
    (core.ContextOverflow, ContextOverflowError), (core.BadRequest, BadRequestError),
    (core.ProtocolError, ProtocolError), (core.StreamInterrupted, StreamInterruptedError),
]


def to_langchain(error: core.LocalLLMError) -> core.LocalLLMError:
    """A LangChain-typed copy of ``error`` with the same fields and message (hint included)."""
    target: type[core.LocalLLMError] = next(
        (lc_cls for core_cls, lc_cls in _MAP if isinstance(error, core_cls)), LocalLLMError)
    copy: Any = target.__new__(target)
    Exception.__init__(copy, *error.args)
    copy.__dict__.update(error.__dict__)
    return copy  # type: ignore[no-any-return]


@contextmanager
def langchain_errors() -> Iterator[None]:
    """Re-raise core errors as their LangChain-typed copies (the core error as cause)."""
    try:
        yield
    except core.LocalLLMError as exc:
        raise to_langchain(exc) from exc
