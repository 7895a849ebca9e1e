"""Backend-neutral description of a chat call, built once per call from the user's arguments."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..types import Message


@dataclass(slots=True)
class ChatCall:
    model: str
    messages: list[Message]
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | None = None  # "auto" | "required" | "none"; named is resolved earlier
    response_format: dict[str, Any] | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    stop: list[str] | None = None
    options: dict[str, Any] = field(default_factory=dict)


def render_each(messages: list[Message], render: Callable[[Message], dict[str, Any]]
                ) -> list[dict[str, Any]]:
    out = []  # a loop, not a comprehension: on 3.11 that is one more function per call
    for m in messages:
        out.append(render(m))
    return out


def normalize_tool(tool: Any) -> dict[str, Any]:
    """OpenAI ``{"type": "function", "function": {...}}`` or a bare function schema."""
    if not isinstance(tool, Mapping):
        raise TypeError(f"tools must be JSON-schema dicts, got {type(tool).__name__}")
    if tool.get("type") == "function" and "function" in tool:
        return dict(tool)
    if "name" in tool:
        fn = {"name": tool["name"], "description": tool.get("description", ""),
              "parameters": tool.get("parameters") or {"type": "object", "properties": {}}}
        return {"type": "function", "function": fn}
    raise ValueError(f"cannot read tool definition: {tool!r}")


def resolve_tool_choice(tools: Sequence[Mapping[str, Any]] | None, choice: Any
                        ) -> tuple[list[dict[str, Any]] | None, str | None]:
    """Resolve a named choice client-side: keep only that tool and require a call.

    llama.cpp ignores a named ``tool_choice`` object and Ollama has no tool_choice at all,
    so restricting the tool list is the one form every server obeys.
    """
    specs = [normalize_tool(t) for t in tools] if tools else None
    if choice is None or choice in ("auto", "required", "none"):
        return specs, choice
    if choice in ("any", True):
        return specs, "required"
    name = choice
    if isinstance(choice, Mapping):
        name = (choice.get("function") or {}).get("name") or choice.get("name")
    if not isinstance(name, str) or not specs:
        raise ValueError(f"tool_choice {choice!r} names no tool among the given tools")
    chosen = [t for t in specs if t["function"]["name"] == name]
    if not chosen:
        names = [t["function"]["name"] for t in specs]
        raise ValueError(f"tool_choice names {name!r}, but tools are {names}")
    return chosen, "required"


def normalize_response_format(fmt: Any) -> dict[str, Any] | None:
    """Accept "json", OpenAI ``response_format`` dicts, or a bare JSON schema."""
    if fmt is None:
        return None
    if fmt == "json":
        return {"type": "json_object"}
    if isinstance(fmt, Mapping):
        if fmt.get("type") in ("json_object", "text"):
            return dict(fmt)
        if fmt.get("type") == "json_schema":
            return dict(fmt)
        return {"type": "json_schema", "json_schema": {"name": "response", "schema": dict(fmt)}}
    raise ValueError(f"response_format not understood: {fmt!r}")


def schema_of(fmt: Mapping[str, Any]) -> dict[str, Any] | None:
    if fmt.get("type") != "json_schema":
        return None
    inner = fmt.get("json_schema") or {}
    return dict(inner.get("schema") or {})
