"""The public API as documented: the README shows the signatures the code has, and the
options are typed, keyword-only parameters."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from localllm import AsyncClient, Client

README = (Path(__file__).parents[2] / "README.md").read_text()
SIGNATURES = README[README.index("The signatures"):]


def _shown(name: str) -> str:
    """The README's text for ``name(...)``, up to its closing parenthesis."""
    start = SIGNATURES.index(name + "(")
    depth, end = 0, start
    for end in range(start + len(name), len(SIGNATURES)):
        depth += {"(": 1, ")": -1}.get(SIGNATURES[end], 0)
        if depth == 0:
            break
    return " ".join(SIGNATURES[start + len(name) + 1:end].split()).replace('"', "'")


def _real(fn: Callable[..., Any]) -> str:
    params = list(inspect.signature(fn).parameters.values())[1:]  # without self
    parts, star = [], False
    for p in params:
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return ", ".join(parts)


@pytest.mark.parametrize(("shown", "fn"), [
    ("Client.chat_stream", Client.chat_stream), ("Client.embed", Client.embed),
    ("Client.show", Client.show)])
def test_readme_signature_is_the_code_signature(shown: str, fn: Callable[..., Any]) -> None:
    assert _shown(shown) == _real(fn)


def test_readme_client_constructor_and_both_clients_agree() -> None:
    shown = _shown("Client").replace("8 * 1024 * 1024", str(8 * 1024 * 1024))
    assert shown == _real(Client.__init__)
    for name in ("chat_stream", "chat", "embed", "show"):
        assert _real(getattr(Client, name)) == _real(getattr(AsyncClient, name)), name
    assert _real(Client.chat) == _real(Client.chat_stream)
    assert re.search(r"Client\.chat\(\.\.\.same arguments\.\.\.\)", SIGNATURES)


def test_a_misspelt_option_is_a_type_error_at_the_call() -> None:
    import asyncio
    import inspect

    client = Client("http://127.0.0.1:9", backend="openai")
    with pytest.raises(TypeError, match="temprature"):
        client.chat_stream("hi", temprature=0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="dimensions"):
        client.embed("hi", dimensions=3)  # type: ignore[call-arg]
    aclient = AsyncClient("http://127.0.0.1:9", backend="openai")
    with pytest.raises(TypeError, match="temprature"):
        aclient.chat_stream("hi", temprature=0)  # type: ignore[call-arg]
    assert inspect.iscoroutinefunction(AsyncClient.chat)
    with pytest.raises(TypeError, match="temprature"):
        asyncio.run(aclient.chat("hi", temprature=0))  # type: ignore[call-arg]
    client.close()
