"""OpenAI-compatible servers: llama.cpp ``llama-server``, vLLM, LM Studio, and others."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..errors import LocalLLMError, ProtocolError
from ..http import HttpRequest
from ..messages import image_url
from ..request import ChatCall, EmbedCall, render_each
from ..types import Delta, Message, ModelInfo, Timings, ToolCallFragment, Usage
from ..wire.jsonparse import loads
from ..wire.sse import SSEDecoder
from .errors import from_record, held_back, number, unexpected_shape

NAME = "openai"
# Ollama options that configure loading the model, not one request: not sent elsewhere.
_LOAD_OPTIONS = frozenset({"num_ctx", "keep_alive"})


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
    if call.options:
        body.update((k, v) for k, v in call.options.items() if k not in _LOAD_OPTIONS)
    for key, value in (("max_tokens", call.max_tokens), ("temperature", call.temperature),
                       ("top_p", call.top_p), ("seed", call.seed), ("stop", call.stop)):
        if value is not None:
            body[key] = value
    if call.reasoning is not None:  # vLLM / SGLang / llama.cpp templates read enable_thinking
        body["chat_template_kwargs"] = {"enable_thinking": call.reasoning}
    if call.extra_body:
        body.update(call.extra_body)
    return body


# -- requests: the paths of the OpenAI API (and llama.cpp's own) ----------------------------
def chat_request(base: str, call: ChatCall) -> HttpRequest:
    return HttpRequest("POST", api_root(base) + "/chat/completions", chat_body(call))


def models_request(base: str) -> HttpRequest:
    return HttpRequest("GET", api_root(base) + "/models")


def props_request(base: str) -> HttpRequest:
    """llama.cpp's ``/props`` (at the server root, not under ``/v1``)."""
    return HttpRequest("GET", server_root(base) + "/props")


def vllm_version_request(base: str) -> HttpRequest:
    return HttpRequest("GET", server_root(base) + "/version")


def lmstudio_models_request(base: str) -> HttpRequest:
    return HttpRequest("GET", server_root(base) + "/api/v0/models")


def embed_request(base: str, call: EmbedCall) -> HttpRequest:
    return HttpRequest("POST", api_root(base) + "/embeddings",
                       {"model": call.model or "", "input": call.texts,
                        "encoding_format": "float", **(call.extra_body or {})})


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
    """One ``chat.completion.chunk`` → a Delta (None when it carries nothing): content,
    reasoning, tool-call fragments, finish reason, usage, timings."""
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
        if finish == "null":  # KoboldCpp <= 1.75 sends the string on every chunk
            finish = None
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

    __slots__ = ("_decoder", "_tools", "done", "failure", "finished", "where")

    def __init__(self, max_line_bytes: int, where: dict[str, Any]) -> None:
        self._decoder = SSEDecoder(max_line_bytes)
        self._tools = False  # saw a tool call: a "stop" after it is reported as tool_calls
        self.done = False  # saw [DONE]
        self.finished = False  # saw a finish_reason
        self.failure: LocalLLMError | None = None  # see held_back()
        self.where = where

    def feed(self, data: bytes) -> list[Delta]:
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
                raise from_record(obj, text, self.where)
            try:
                delta = chunk_to_delta(obj)
            except (AttributeError, TypeError, KeyError, ValueError):
                raise unexpected_shape(text, self.where) from None
            if delta is not None:
                if delta.tool_calls:
                    self._tools = True
                if delta.finish_reason:
                    self.finished = True
                    if delta.finish_reason == "stop" and self._tools:  # Ollama /v1 < 0.6, vLLM
                        delta = replace(delta, finish_reason="tool_calls")  # named tool_choice
                out.append(delta)

    def close(self) -> list[Delta]:
        """End of body (an event cut inside is dropped: then ``complete`` says so)."""
        self._decoder.close()
        return []

    @property
    def complete(self) -> bool:
        return self.done or self.finished


class WholeAnswerParser:
    """A ``chat.completion`` answered whole (``application/json``) to a streaming request:
    SGLang 0.4.1 does so when tools are given. Read to the end, then one Delta."""

    __slots__ = ("_body", "_limit", "done", "failure", "where")

    def __init__(self, max_line_bytes: int, where: dict[str, Any]) -> None:
        self._body = bytearray()
        self._limit = max_line_bytes  # the whole answer is one JSON line's worth
        self.done = False
        self.failure: LocalLLMError | None = None
        self.where = where

    def feed(self, data: bytes) -> list[Delta]:
        self._body += data
        if len(self._body) > self._limit:
            raise ProtocolError(f"JSON answer longer than {self._limit} bytes", **self.where)
        return []

    def close(self) -> list[Delta]:
        text = self._body.decode("utf-8", "replace")
        try:
            obj = loads(text)
        except ValueError:
            raise ProtocolError(f"Malformed JSON answer: {text[:200]!r}", body=text[:500],
                                **self.where) from None
        if isinstance(obj, dict) and "error" in obj:
            raise from_record(obj, text, self.where)
        try:
            delta = chunk_to_delta(obj) if isinstance(obj, dict) and obj.get("choices") \
                else None
        except (AttributeError, TypeError, KeyError, ValueError):
            delta = None
        if delta is None or not delta.finish_reason:
            raise unexpected_shape(text, self.where)
        self.done = True
        return [delta]

    @property
    def complete(self) -> bool:
        return self.done


def parse_models(payload: Any, base: str) -> list[ModelInfo]:
    data = payload.get("data", ()) if isinstance(payload, Mapping) else None
    if data is None:  # Ollama's /v1/models with no model installed
        data = []
    if not isinstance(data, list):
        raise ProtocolError("GET /v1/models did not return an OpenAI model list",
                            url=base, backend=NAME, body=str(payload)[:500])
    out = []
    for entry in data:
        meta = entry.get("meta") or {}
        out.append(ModelInfo(
            name=entry.get("id", ""), backend=NAME,
            # vLLM/SGLang max_model_len; llama.cpp's meta.n_ctx is the per-slot context
            context_window=entry.get("max_model_len") or meta.get("n_ctx") or None,
            max_context=meta.get("n_ctx_train") or entry.get("max_model_len"),
            size=meta.get("size"), raw=entry))
    return out


@dataclass(frozen=True, slots=True)
class ServerProps:
    """What llama.cpp's ``/props`` says: the per-slot context (what one request may use),
    the capabilities of its chat template and model, its build, and how many requests it
    runs at once (``total_slots``, its ``--parallel``)."""

    context_window: int | None
    capabilities: tuple[str, ...]
    build: str | None
    slots: int | None = None


def parse_props(props: Any) -> ServerProps | None:
    """``/props`` as llama.cpp answers it; None when the body is not llama.cpp's (other
    OpenAI-compatible servers have no such path, or answer it with something else)."""
    if not isinstance(props, Mapping) or not isinstance(
            props.get("default_generation_settings"), Mapping):
        return None
    settings = props["default_generation_settings"]
    caps = ["completion"]
    if (props.get("chat_template_caps") or {}).get("supports_tools", True):
        caps.append("tools")
    if (props.get("modalities") or {}).get("vision"):
        caps.append("vision")
    window = settings.get("n_ctx") or props.get("n_ctx")
    build = props.get("build_info")
    slots = props.get("total_slots")
    return ServerProps(window if isinstance(window, int) else None, tuple(caps),
                       build if isinstance(build, str) else None,
                       slots if isinstance(slots, int) and slots > 0 else None)


def parse_embeddings(payload: Any) -> list[list[float]]:
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(data, list):
        raise ProtocolError("embeddings answer has no 'data' list", body=str(payload)[:500])
    return [item["embedding"] for item in sorted(data, key=lambda d: d.get("index", 0))]
