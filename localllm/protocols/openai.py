"""OpenAI-compatible servers: llama.cpp ``llama-server``, vLLM, LM Studio, and others."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from ..errors import LocalLLMError, ProtocolError
from ..messages import image_url
from ..types import Delta, Message, ModelInfo, Timings, ToolCallFragment, Usage
from ..wire._json import loads
from ..wire.sse import SSEDecoder
from ._errors import classify, error_message, held_back, number, unexpected_shape
from ._request import ChatCall, render_each

NAME = "openai"
# Options that only mean something to Ollama; sending them elsewhere can fail validation.
OLLAMA_ONLY = frozenset({"keep_alive", "num_ctx", "think", "options"})


def api_root(base: str) -> str:
    """``http://host:port`` and ``http://host:port/v1`` both mean the same server."""
    base = base.rstrip("/")
    return base if base.endswith("/v1") else base + "/v1"


def server_root(base: str) -> str:
    base = base.rstrip("/")
    return base[:-3] if base.endswith("/v1") else base


def render_message(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role}
    if m.images:
        parts: list[dict[str, Any]] = [{"type": "text", "text": m.content}] if m.content else []
        parts += [{"type": "image_url", "image_url": {"url": image_url(i)}} for i in m.images]
        out["content"] = parts
    else:
        out["content"] = m.content
    if m.tool_calls:
        out["tool_calls"] = [c.to_openai() for c in m.tool_calls]
    if m.role == "tool":
        if m.tool_call_id:
            out["tool_call_id"] = m.tool_call_id
        if m.name:
            out["name"] = m.name
    return out


def chat_body(call: ChatCall) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": call.model,
        "messages": render_each(call.messages, render_message),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if call.tools:
        body["tools"] = call.tools
    if call.tool_choice:
        body["tool_choice"] = call.tool_choice
    if call.response_format:
        body["response_format"] = call.response_format
    if call.max_tokens is not None:
        body["max_tokens"] = call.max_tokens
    if call.temperature is not None:
        body["temperature"] = call.temperature
    if call.seed is not None:
        body["seed"] = call.seed
    if call.stop is not None:
        body["stop"] = call.stop
    for key, value in call.options.items():
        if key == "reasoning":
            if value is not None:  # vLLM / llama.cpp templates read enable_thinking
                kwargs = body.setdefault("chat_template_kwargs", {})
                kwargs["enable_thinking"] = bool(value)
        elif key not in OLLAMA_ONLY:
            body[key] = value
    return body


def _timings(raw: Mapping[str, Any]) -> Timings:
    return Timings(prompt_n=number(raw.get("prompt_n")), prompt_ms=number(raw.get("prompt_ms")),
                   predicted_n=number(raw.get("predicted_n")),
                   predicted_ms=number(raw.get("predicted_ms")))


def _fragments(raw: list[Mapping[str, Any]]) -> tuple[ToolCallFragment, ...]:
    out = []
    for pos, tc in enumerate(raw):
        fn = tc.get("function") or {}
        args = fn.get("arguments") or ""
        if not isinstance(args, str):  # some servers send an object: normalise to text
            args = json.dumps(args)
        index, call_id, name = tc.get("index", pos), tc.get("id") or None, fn.get("name") or None
        if not isinstance(index, int) or not isinstance(call_id, (str, type(None))) \
                or not isinstance(name, (str, type(None))):
            raise TypeError("malformed tool call fragment")
        out.append(ToolCallFragment(index=index, id=call_id, name=name, arguments=args))
    return tuple(out)


def chunk_to_delta(obj: Mapping[str, Any]) -> Delta | None:
    """One ``chat.completion.chunk`` → a Delta (None when it carries nothing)."""
    choices = obj.get("choices")
    if choices and len(choices) == 1 and "usage" not in obj and "timings" not in obj:
        choice = choices[0]
        delta = choice.get("delta")
        if choice.get("finish_reason") is None and type(delta) is dict and len(delta) <= 2:
            content = delta.get("content")  # the per-token chunk: content (and role) only
            if type(content) is str and len(delta) == 1 + ("role" in delta):
                return Delta(content) if content else None
    usage = obj.get("usage")
    timings = obj.get("timings")
    choices = obj.get("choices") or ()
    content = reasoning = ""
    fragments: tuple[ToolCallFragment, ...] = ()
    finish = None
    if choices:
        choice = choices[0]
        delta = choice.get("delta") or choice.get("message") or {}
        content = delta.get("content") or ""
        reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
        if not (isinstance(content, str) and isinstance(reasoning, str)):
            raise TypeError("content and reasoning must be strings")
        if delta.get("tool_calls"):
            fragments = _fragments(delta["tool_calls"])
        finish = choice.get("finish_reason")
    if not (content or reasoning or fragments or finish or usage or timings):
        return None
    return Delta(
        content=content, reasoning=reasoning, tool_calls=fragments,
        usage=Usage(number(usage.get("prompt_tokens")) or 0,
                    number(usage.get("completion_tokens")) or 0,
                    number(usage.get("total_tokens")) or 0) if usage else None,
        timings=_timings(timings) if timings else None,
        finish_reason=finish, model=obj.get("model") if finish else None)


class StreamParser:
    """SSE bytes → Deltas. Complete at ``[DONE]``, or at a clean end after a finish_reason."""

    __slots__ = ("_decoder", "done", "failure", "finished", "where")

    def __init__(self, max_line_bytes: int, where: dict[str, Any]) -> None:
        self._decoder = SSEDecoder(max_line_bytes)
        self.done = False  # saw [DONE]
        self.finished = False  # saw a finish_reason
        self.failure: LocalLLMError | None = None  # see held_back()
        self.where = where

    def feed(self, data: bytes) -> list[Delta]:
        payload = self._decoder.single_data(data)
        if payload is not None and payload != b"[DONE]":
            # one event per read, parsed from its bytes; anything unusual (even a payload
            # that is not UTF-8 or not JSON) goes the general way, which names the fault
            try:  # orjson alone: what it refuses (NaN, huge ints) goes the general way too
                obj = orjson.loads(payload)
            except ValueError:
                obj = None
            if type(obj) is dict and "error" not in obj:
                delta = self._delta(obj, payload)
                return [delta] if delta is not None else []
        out: list[Delta] = []
        try:
            self._events(data, out)
        except LocalLLMError as exc:
            self.failure = held_back(out, exc)
        return out

    def _events(self, data: bytes, out: list[Delta]) -> None:
        for event in self._decoder.feed(data):
            text = event.data
            if text == "[DONE]":
                self.done = True
                continue
            try:
                obj = loads(text)
            except ValueError:
                raise ProtocolError(f"Malformed JSON in SSE event: {text[:200]!r}", body=text,
                                    hint="The server is not speaking the OpenAI stream format.",
                                    **self.where) from None
            if not isinstance(obj, dict):
                raise ProtocolError(f"Unexpected SSE payload: {text[:200]!r}", body=text,
                                    **self.where)
            if "error" in obj or event.event == "error":
                message, kind, fields = error_message(obj)
                raise classify(200, message, kind, fields, body=text, **self.where)
            delta = self._delta(obj, text)
            if delta is not None:
                out.append(delta)

    def _delta(self, obj: dict[str, Any], text: str | bytes) -> Delta | None:
        try:
            delta = chunk_to_delta(obj)
        except (AttributeError, TypeError, KeyError, ValueError):
            shown = text if isinstance(text, str) else text.decode("utf-8", "replace")
            raise unexpected_shape(shown, self.where) from None
        if delta is not None and delta.finish_reason:
            self.finished = True
        return delta

    def close(self) -> bool:
        """End of body; True when the stream counts as complete."""
        self._decoder.close()
        return self.done or self.finished


def parse_models(payload: Any, base: str) -> list[ModelInfo]:
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(data, list):
        raise ProtocolError("GET /v1/models did not return an OpenAI model list",
                            url=base, backend=NAME, body=str(payload)[:500])
    out = []
    for entry in data:
        meta = entry.get("meta") or {}
        out.append(ModelInfo(
            name=entry.get("id", ""), backend=NAME,
            context_window=entry.get("max_model_len"),
            max_context=meta.get("n_ctx_train") or entry.get("max_model_len"),
            size=meta.get("size"), raw=entry))
    return out


def parse_props(props: Any) -> dict[str, Any]:
    """llama.cpp ``/props``: per-slot context (what one request may use) and capabilities."""
    if not isinstance(props, Mapping):
        return {}
    settings = props.get("default_generation_settings") or {}
    caps = ["completion"]
    template_caps = props.get("chat_template_caps") or {}
    if template_caps.get("supports_tools", True):
        caps.append("tools")
    if (props.get("modalities") or {}).get("vision"):
        caps.append("vision")
    return {"context_window": settings.get("n_ctx") or props.get("n_ctx"),
            "capabilities": tuple(caps)}


def embed_body(model: str, texts: list[str]) -> dict[str, Any]:
    return {"model": model, "input": texts, "encoding_format": "float"}


def parse_embeddings(payload: Any) -> list[list[float]]:
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(data, list):
        raise ProtocolError("embeddings answer has no 'data' list", body=str(payload)[:500])
    return [item["embedding"] for item in sorted(data, key=lambda d: d.get("index", 0))]
