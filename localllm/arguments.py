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
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

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
        if inspect.iscoroutinefunction(method):  # stays a coroutine function for callers
            async def with_built_call_async(self: S, /, *args: P.args, **kwargs: P.kwargs
                                            ) -> Any:  # checks the arguments when awaited
                return await cast(Any, method)(self, build(*args, **kwargs))

            wrapper = cast(Callable[Concatenate[S, P], R], with_built_call_async)
        else:
            def with_built_call(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
                return method(self, build(*args, **kwargs))

            wrapper = with_built_call
        functools.update_wrapper(wrapper, method)
        wrapper.__doc__ = "\n\n".join(d for d in (method.__doc__, build.__doc__) if d)
        own = inspect.signature(method)
        first = next(iter(own.parameters.values()))
        wrapper.__signature__ = built.replace(  # type: ignore[attr-defined]
            parameters=[first, *built.parameters.values()],
            return_annotation=own.return_annotation)
        return wrapper

    return decorate

