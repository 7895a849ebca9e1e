"""Normalise what users pass (Message objects, OpenAI-style dicts, Ollama-style dicts)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .types import Image, Message, MessageLike, ToolCall

_ROLES = ("system", "user", "assistant", "tool")


def to_messages(messages: Iterable[MessageLike] | str) -> list[Message]:
    """Accept a prompt string, ``Message`` objects or plain ``{"role", "content"}`` dicts."""
    if isinstance(messages, str):
        return [Message.user(messages)]
    out = []  # a loop, not a comprehension: on 3.11 that is one more function per call
    for m in messages:
        out.append(m if isinstance(m, Message) else _from_mapping(m))
    if not out:
        raise ValueError("messages is empty: pass at least one message")
    return out


def _from_mapping(m: Mapping[str, Any]) -> Message:
    role = m.get("role")
    if role not in _ROLES:
        raise ValueError(f"message role must be one of {_ROLES}, got {role!r}")
    content = m.get("content")
    if len(m) == 2 and type(content) is str:  # {"role", "content"}: most messages
        return Message(role, content)
    text, images = _split_content(content)
    if m.get("images"):
        images += tuple(_image(i) for i in m["images"])
    calls = m.get("tool_calls")
    return Message(
        role=role,
        content=text,
        images=images,
        tool_calls=tuple(parse_tool_call(c, i) for i, c in enumerate(calls)) if calls else (),
        tool_call_id=m.get("tool_call_id"),
        name=m.get("name") or m.get("tool_name"),
        reasoning=m.get("reasoning_content") or m.get("reasoning") or m.get("thinking"),
    )


def _split_content(content: Any) -> tuple[str, tuple[Image, ...]]:
    if content is None:
        return "", ()
    if isinstance(content, str):
        return content, ()
    if not isinstance(content, Sequence):
        raise ValueError(f"message content must be a string or a list of parts: {content!r}")
    texts: list[str] = []
    images: list[Image] = []
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif part.get("type") == "text":
            texts.append(part.get("text", ""))
        elif part.get("type") in ("image_url", "image"):
            images.append(_image(part))
        else:
            raise ValueError(f"unsupported message content part: {part.get('type')!r}")
    return "".join(texts), tuple(images)


def _image(value: Any) -> Image:
    """An image from base64 text, a ``data:`` URL, an http(s) URL or an OpenAI/LangChain part."""
    if isinstance(value, Image):
        return value
    if isinstance(value, Mapping):
        if "image_url" in value:
            url = value["image_url"]
            return _image(url["url"] if isinstance(url, Mapping) else url)
        if value.get("url"):
            return _image(value["url"])
        data = value.get("data") or value.get("base64")
        return Image(data=data, mime_type=value.get("mime_type", "image/png"))
    if isinstance(value, bytes):
        import base64

        return Image(data=base64.b64encode(value).decode("ascii"))
    text = str(value)
    if text.startswith("data:"):
        header, _, data = text.partition(",")
        return Image(data=data, mime_type=header[5:].split(";")[0] or "image/png")
    if text.startswith(("http://", "https://")):
        return Image(url=text)
    return Image(data=text)


def parse_tool_call(call: Any, index: int = 0) -> ToolCall:
    """A tool call in OpenAI shape (arguments a JSON string) or Ollama shape (an object)."""
    if isinstance(call, ToolCall):
        return call
    fn = call.get("function", call)
    args = fn.get("arguments", fn.get("args", {}))
    if isinstance(args, str):
        args = json.loads(args) if args.strip() else {}
    return ToolCall(id=call.get("id") or f"call_{index}", name=fn["name"], arguments=dict(args))


def image_url(image: Image) -> str:
    return image.url or f"data:{image.mime_type};base64,{image.data}"
