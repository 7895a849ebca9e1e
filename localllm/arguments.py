"""Public methods that take the arguments of a pure builder (``request.chat_call``).

A chat has fifteen options; written out on ``chat`` and ``chat_stream`` of both clients
they would be four copies to keep in step. Each method here is declared once as taking the
built call, and this decorator gives it the builder's typed, keyword-only signature — for
type checkers (``ParamSpec``), ``help()`` and IDEs (``__signature__``) alike.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
C = TypeVar("C")
R = TypeVar("R")
S = TypeVar("S")


def arguments_of(build: Callable[P, C]) -> Callable[[Callable[[S, C], R]],
                                                     Callable[Concatenate[S, P], R]]:
    """``@arguments_of(chat_call)`` on ``def chat(self, call: ChatCall) -> R``: callers
    pass ``chat_call``'s arguments, the method receives what it built."""
    built = inspect.signature(build)

    def decorate(method: Callable[[S, C], R]) -> Callable[Concatenate[S, P], R]:
        @functools.wraps(method)
        def with_built_call(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            return method(self, build(*args, **kwargs))

        with_built_call.__doc__ = "\n\n".join(d for d in (method.__doc__, build.__doc__) if d)
        own = inspect.signature(method)
        first = next(iter(own.parameters.values()))
        with_built_call.__signature__ = built.replace(  # type: ignore[attr-defined]
            parameters=[first, *built.parameters.values()],
            return_annotation=own.return_annotation)
        return with_built_call

    return decorate

