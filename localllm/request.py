"""What the caller asked for, backend-neutral: built once per call from the public
arguments, then rendered by a protocol module into its server's body."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from .messages import to_messages
from .types import Message, MessageLike

#: ``"auto"``, ``"required"`` (or ``"any"`` / ``True``), ``"none"``, a tool name, or an
#: OpenAI ``{"type": "function", "function": {"name": ...}}`` object.
ToolChoice = Union[str, bool, Mapping[str, Any]]  # noqa: UP007 (runtime alias, py3.10)
#: ``"json"``, ``{"type": "json_object"}``, ``{"type": "json_schema", ...}`` or a JSON schema.
ResponseFormat = Union[str, Mapping[str, Any]]  # noqa: UP007
Messages = Union[Iterable[MessageLike], str]  # noqa: UP007


@dataclass(slots=True)
class ChatCall:
    model: str
    messages: list[Message]
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | None = None  # "auto" | "required" | "none"; named is resolved earlier
    response_format: dict[str, Any] | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    stop: list[str] | None = None
    reasoning: bool | None = None
    keep_alive: str | float | None = None
    num_ctx: int | None = None
    options: dict[str, Any] | None = None
    extra_body: dict[str, Any] | None = None
    session_id: str | None = None


def chat_call(
    messages: Messages, *, model: str | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None, tool_choice: ToolChoice | None = None,
    response_format: ResponseFormat | None = None, max_tokens: int | None = None,
    temperature: float | None = None, top_p: float | None = None, seed: int | None = None,
    stop: str | Sequence[str] | None = None, reasoning: bool | None = None,
    keep_alive: str | float | None = None, num_ctx: int | None = None,
    options: Mapping[str, Any] | None = None, extra_body: Mapping[str, Any] | None = None,
    session_id: str | None = None,
) -> ChatCall:
    """Check and normalise a chat call's arguments (raises ``TypeError`` / ``ValueError``).

    ``messages``: a prompt string, ``Message`` objects or role/content dicts. ``model``:
    None lets a single-model server (llama.cpp) use its own. ``tools``: OpenAI tool specs
    or bare function schemas. ``tool_choice``: see ``ToolChoice``; a named tool is enforced
    client-side. ``response_format``: see ``ResponseFormat`` (Ollama gets it as
    ``format``). ``max_tokens``, ``temperature``, ``top_p``, ``seed``, ``stop``: sampling,
    None = the server's default. ``reasoning``: ask for (True) or switch off (False) the
    model's thinking. ``keep_alive``, ``num_ctx``: Ollama only (how long the model stays
    loaded; the context to load it with); other servers ignore them. ``options``: more
    sampling options in Ollama's names (``top_k``, ``repeat_penalty``, …): Ollama's
    ``options``, body fields elsewhere. ``extra_body``: fields added to the request body
    as they are. ``session_id``: names the conversation: ``routing="affinity"`` keeps it
    on one server, and it is sent as a header (``X-Session-ID``; the client's
    ``session_header``) for engine routers that do the same.
    """
    if session_id is not None and not isinstance(session_id, str):
        raise TypeError(f"session_id must be a str, not {type(session_id).__name__}")
    if session_id is not None and ("\r" in session_id or "\n" in session_id):
        raise ValueError("session_id must not contain line breaks (it is sent as a header)")
    specs, choice = resolve_tool_choice(tools, tool_choice) if tools or tool_choice \
        else (None, None)
    return ChatCall(
        model or "", to_messages(messages), specs, choice,
        normalize_response_format(response_format) if response_format is not None else None,
        max_tokens, temperature, top_p, seed,
        [stop] if isinstance(stop, str) else list(stop) if stop else None,
        reasoning, keep_alive, num_ctx, dict(options) if options else None,
        dict(extra_body) if extra_body else None, session_id)


@dataclass(slots=True)
class EmbedCall:
    model: str | None
    texts: list[str]
    extra_body: dict[str, Any] | None = None


def embed_call(texts: str | Sequence[str], *, model: str | None = None,
               extra_body: Mapping[str, Any] | None = None) -> EmbedCall:
    """``texts``: one text or several (one vector each, in order). ``extra_body``: fields
    added to the request body as they are."""
    return EmbedCall(model, [texts] if isinstance(texts, str) else list(texts),
                     dict(extra_body) if extra_body else None)


def render_each(messages: list[Message], render: Any) -> list[dict[str, Any]]:
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


def resolve_tool_choice(tools: Sequence[Mapping[str, Any]] | None, choice: ToolChoice | None
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
    name: Any = choice
    if isinstance(choice, Mapping):
        name = (choice.get("function") or {}).get("name") or choice.get("name")
    if not isinstance(name, str) or not specs:
        raise ValueError(f"tool_choice {choice!r} names no tool among the given tools")
    chosen = [t for t in specs if t["function"]["name"] == name]
    if not chosen:
        names = [t["function"]["name"] for t in specs]
        raise ValueError(f"tool_choice names {name!r}, but tools are {names}")
    return chosen, "required"


def normalize_response_format(fmt: ResponseFormat | None) -> dict[str, Any] | None:
    """Accept "json", OpenAI ``response_format`` dicts, or a bare JSON schema."""
    if fmt is None:
        return None
    if fmt == "json":
        return {"type": "json_object"}
    if isinstance(fmt, Mapping):
        if fmt.get("type") in ("json_object", "text", "json_schema"):
            return dict(fmt)
        return {"type": "json_schema", "json_schema": {"name": "response", "schema": dict(fmt)}}
    raise ValueError(f"response_format not understood: {fmt!r}")


def schema_of(fmt: Mapping[str, Any]) -> dict[str, Any] | None:
    if fmt.get("type") != "json_schema":
        return None
    inner = fmt.get("json_schema") or {}
    return dict(inner.get("schema") or {})
