"""Ollama's native API (``/api/*``): NDJSON streams, whole tool calls, ns durations."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..accumulate import new_call_id
from ..errors import LocalLLMError, ProtocolError
from ..http import HttpRequest
from ..request import ChatCall, EmbedCall, render_each, schema_of
from ..types import Delta, Message, ModelInfo, Timings, ToolCallFragment, Usage
from ..wire.ndjson import NDJSONDecoder
from .errors import from_record, held_back, number, unexpected_shape

NAME = "ollama"
_NS = 1e6


def render_message(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.images:
        if any(i.url for i in m.images):
            raise ValueError("Ollama accepts only base64 images, not URLs; download the image "
                             "and pass its bytes or base64 text")
        out["images"] = [i.data for i in m.images]
    if m.tool_calls:
        out["tool_calls"] = [{"function": {"name": c.name, "arguments": c.arguments}}
                             for c in m.tool_calls]
    if m.role == "tool" and m.name:
        out["tool_name"] = m.name
    if m.reasoning and m.role == "assistant":
        out["thinking"] = m.reasoning
    return out


def _options(call: ChatCall) -> dict[str, Any]:
    """Ollama's ``options``: the sampling fields under Ollama's names."""
    options: dict[str, Any] = dict(call.options) if call.options else {}
    for key, value in (("num_predict", call.max_tokens), ("temperature", call.temperature),
                       ("top_p", call.top_p), ("seed", call.seed), ("stop", call.stop),
                       ("num_ctx", call.num_ctx)):
        if value is not None:
            options[key] = value
    return options


def _add_common(body: dict[str, Any], call: ChatCall) -> dict[str, Any]:
    """Fields shared by ``/api/chat`` and ``/api/generate``: options and top-level ones."""
    options = _options(call)
    if options:
        body["options"] = options
    if call.reasoning is not None:
        body["think"] = call.reasoning
    if call.keep_alive is not None:
        body["keep_alive"] = call.keep_alive
    fmt = call.response_format
    if fmt and fmt.get("type") != "text":
        body["format"] = schema_of(fmt) or "json"
    if call.extra_body:
        body.update(call.extra_body)
    return body


def chat_body(call: ChatCall) -> dict[str, Any]:
    body: dict[str, Any] = {"model": call.model, "stream": True,
                            "messages": render_each(call.messages, render_message)}
    if call.tools and call.tool_choice != "none":
        body["tools"] = call.tools
    return _add_common(body, call)


def generate_body(call: ChatCall) -> dict[str, Any]:
    """For servers without ``/api/chat``: the conversation flattened into one prompt."""
    system = "\n".join(m.content for m in call.messages if m.role == "system")
    turns = [f"{m.role}: {m.content}" for m in call.messages if m.role != "system"]
    body: dict[str, Any] = {"model": call.model, "stream": True,
                            "prompt": "\n".join(turns) + "\nassistant:"}
    if system:
        body["system"] = system
    return _add_common(body, call)


# -- requests: the paths of Ollama's API ---------------------------------------------------
def chat_request(base: str, call: ChatCall, chat_missing: bool) -> HttpRequest:
    """``/api/chat``; ``/api/generate`` on servers found to lack it (before 0.1.14)."""
    if chat_missing:
        return HttpRequest("POST", base + "/api/generate", generate_body(call))
    return HttpRequest("POST", base + "/api/chat", chat_body(call))


def models_request(base: str) -> HttpRequest:
    return HttpRequest("GET", base + "/api/tags")


def show_request(base: str, model: str) -> HttpRequest:
    # Ollama before 0.1.18 reads only "name"; later ones read both.
    return HttpRequest("POST", base + "/api/show", {"model": model, "name": model})


def running_request(base: str) -> HttpRequest:
    return HttpRequest("GET", base + "/api/ps")


def embed_request(base: str, call: EmbedCall) -> HttpRequest:
    return HttpRequest("POST", base + "/api/embed",
                       {"model": call.model, "input": call.texts, **(call.extra_body or {})})


def old_embed_request(base: str, model: str | None, text: str) -> HttpRequest:
    """``/api/embeddings`` of Ollama before 0.2.6: one ``prompt`` a request."""
    return HttpRequest("POST", base + "/api/embeddings", {"model": model, "prompt": text})


def pull_request(base: str, model: str) -> HttpRequest:
    return HttpRequest("POST", base + "/api/pull", {"model": model, "stream": True})


def version_request(base: str) -> HttpRequest:
    return HttpRequest("GET", base.rstrip("/") + "/api/version")


def _timings(obj: Mapping[str, Any]) -> Timings:
    def ms(key: str) -> float | None:
        value = number(obj.get(key))
        return value / _NS if value is not None else None

    return Timings(prompt_n=number(obj.get("prompt_eval_count")),
                   prompt_ms=ms("prompt_eval_duration"),
                   predicted_n=number(obj.get("eval_count")), predicted_ms=ms("eval_duration"),
                   load_ms=ms("load_duration"), total_ms=ms("total_duration"))


class StreamParser:
    """NDJSON bytes → Deltas. Complete only at ``"done": true``.

    Tool calls arrive whole with object arguments and often no id: each gets its own
    index and a generated id here, so downstream code sees the OpenAI fragment model.
    """

    __slots__ = ("_decoder", "_next_index", "done", "failure", "where")

    def __init__(self, max_line_bytes: int, where: dict[str, Any]) -> None:
        self._decoder = NDJSONDecoder(max_line_bytes)
        self._next_index = 0
        self.done = False
        self.failure: LocalLLMError | None = None  # see held_back()
        self.where = where

    def feed(self, data: bytes) -> list[Delta]:
        out: list[Delta] = []
        try:
            for obj in self._decoder.feed(data):
                try:
                    delta = self._delta(obj)
                except (AttributeError, TypeError, KeyError, ValueError):
                    raise unexpected_shape(json.dumps(obj), self.where) from None
                if delta is not None:
                    out.append(delta)
        except LocalLLMError as exc:
            self.failure = held_back(out, exc)
        return out

    def close(self) -> list[Delta]:
        """End of body. A last record without its newline still counts; one cut inside
        leaves the stream incomplete (``complete`` stays False), it is not malformed."""
        try:
            records = self._decoder.close()
        except ProtocolError:
            return []
        return [d for d in map(self._delta, records) if d is not None]

    @property
    def complete(self) -> bool:
        return self.done

    def _delta(self, obj: Any) -> Delta | None:
        if not isinstance(obj, dict):
            raise ProtocolError(f"Unexpected NDJSON record: {str(obj)[:200]!r}",
                                hint="Not an Ollama stream; check the base URL.", **self.where)
        if "error" in obj:
            raise from_record(obj, json.dumps(obj), self.where)
        msg = obj.get("message")
        if msg is None:
            content, reasoning, calls = obj.get("response") or "", obj.get("thinking") or "", None
        else:
            content = msg.get("content") or ""
            reasoning = msg.get("thinking") or ""
            calls = msg.get("tool_calls")
        if not (isinstance(content, str) and isinstance(reasoning, str)):
            raise TypeError("content and thinking must be strings")
        fragments = self._fragments(calls) if calls else ()
        if obj.get("done"):
            if obj.get("done_reason") in ("load", "unload"):
                return None
            self.done = True
            prompt_n = number(obj.get("prompt_eval_count")) or 0
            eval_n = number(obj.get("eval_count")) or 0
            finish = obj.get("done_reason") or "stop"
            if self._next_index and finish == "stop":
                finish = "tool_calls"
            return Delta(content=content, reasoning=reasoning, tool_calls=fragments,
                         usage=Usage(prompt_n, eval_n, prompt_n + eval_n),
                         timings=_timings(obj), finish_reason=finish, model=obj.get("model"))
        if not (content or reasoning or fragments):
            return None
        return Delta(content=content, reasoning=reasoning, tool_calls=fragments)

    def _fragments(self, calls: list[Mapping[str, Any]]) -> tuple[ToolCallFragment, ...]:
        out = []
        for call in calls:
            fn = call.get("function") or {}
            args = fn.get("arguments") or {}
            if not isinstance(fn.get("name"), str):
                raise TypeError("tool call without a name")
            out.append(ToolCallFragment(
                index=self._next_index, id=call.get("id") or new_call_id(), name=fn.get("name"),
                arguments=args if isinstance(args, str) else json.dumps(args)))
            self._next_index += 1
        return tuple(out)


def is_path_missing(status: int, body: bytes) -> bool:
    """Only a Go mux "404 page not found" means the server has no such path (``/api/chat``
    before 0.1.14, ``/api/ps`` before 0.1.38, ``/api/embed`` before 0.2.6)."""
    return status == 404 and body.strip().lower().startswith(b"404 page not found")


def parse_tags(payload: Any) -> list[ModelInfo]:
    models = payload.get("models") if isinstance(payload, Mapping) else None
    if not isinstance(models, list):
        raise ProtocolError("GET /api/tags did not return a model list", backend=NAME,
                            body=str(payload)[:500])
    return [_model_info(m.get("name") or m.get("model", ""), m) for m in models]


def _model_info(name: str, entry: Mapping[str, Any], **extra: Any) -> ModelInfo:
    details = entry.get("details") or {}
    return ModelInfo(name=name, backend=NAME, size=entry.get("size"),
                     family=details.get("family"), parameter_size=details.get("parameter_size"),
                     quantization=details.get("quantization_level"), raw=entry, **extra)


def parse_show(name: str, show: Mapping[str, Any], ps: Any, num_ctx: int | None) -> ModelInfo:
    """Served context: the loaded context from ``/api/ps``, else the ``num_ctx`` the caller
    sends; the trained maximum (``<arch>.context_length``) is only ``max_context``."""
    info = show.get("model_info") or {}
    arch = info.get("general.architecture")
    trained = info.get(f"{arch}.context_length") if arch else None
    loaded = None
    for running in (ps or {}).get("models") or ():
        if any(same_model(name, running.get(k)) for k in ("name", "model")):
            loaded = running.get("context_length")
    return _model_info(name, show, context_window=loaded or num_ctx, max_context=trained,
                       capabilities=tuple(show.get("capabilities") or ()))


def parse_old_embedding(payload: Any) -> list[float]:
    vector = payload.get("embedding") if isinstance(payload, Mapping) else None
    if not isinstance(vector, list):
        raise ProtocolError("POST /api/embeddings answer has no 'embedding' list",
                            backend=NAME, body=str(payload)[:500])
    return vector


def full_name(name: str) -> str:
    """Ollama's name with its tag: ``llama3.2`` means ``llama3.2:latest`` (a ``:`` before the
    last ``/`` is a registry port, not a tag)."""
    return name if ":" in name.rpartition("/")[2] else name + ":latest"


def same_model(a: str, b: Any) -> bool:
    return isinstance(b, str) and full_name(a) == full_name(b)


def parse_embeddings(payload: Any) -> list[list[float]]:
    vectors = payload.get("embeddings") if isinstance(payload, Mapping) else None
    if not isinstance(vectors, list) or not all(isinstance(v, list) for v in vectors):
        raise ProtocolError("POST /api/embed answer has no 'embeddings' list", backend=NAME,
                            body=str(payload)[:500])
    return vectors
