"""A fake Ollama server built from Ollama's documented wire format (docs/api.md); not a real Ollama.

Shapes follow ollama/ollama ``docs/api.md`` (/api/ps ``context_length``: docs.ollama.com): NDJSON
(one ``json.dumps(obj) + "\\n"`` per HTTP chunk), nanosecond durations, ``{"error": "..."}``
bodies, ``404 page not found`` for unknown paths. Chat/generate replies are SCRIPTED (helpers
below), never generated. ``"m" does not support tools|thinking`` errors mimic real servers."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

NOT_FOUND = "404 page not found"
_LOAD_KEYS = ("model", "created_at", "message", "response", "done", "done_reason")


def model_entry(name: str, size: int, family: str, params: str, quant: str, caps: list[str],
                ctx: int, loaded: int) -> dict[str, Any]:
    """One ``models`` value: ``context_length`` = trained max, ``loaded_context`` = /api/ps."""
    return {"size": size, "digest": hashlib.sha256(name.encode()).hexdigest(),
            "details": {"parent_model": "", "format": "gguf", "family": family,
                        "families": [family], "parameter_size": params,
                        "quantization_level": quant},
            "capabilities": caps, "context_length": ctx, "loaded_context": loaded}


DEFAULT_MODELS: dict[str, dict[str, Any]] = {a[0]: model_entry(*a) for a in [
    ("llama3.2:1b", 1_321_098_329, "llama", "1.2B", "Q8_0", ["completion", "tools"], 131072, 4096),
    ("qwen3:0.6b", 522_653_767, "qwen3", "751.63M", "Q4_K_M", ["completion", "tools", "thinking"],
     40960, 4096),
    ("nomic-embed-text:latest", 274_302_450, "nomic-bert", "137M", "F16", ["embedding"], 2048,
     2048)]}


@dataclass
class Reply:
    """One scripted answer. ``events``: ("content"|"thinking", str), ("tool_calls", list),
    ("error", message), ("done", done_reason). ``error`` set → plain HTTP error response.
    ``raw`` → these objects are streamed verbatim (bytes as-is; a float pauses that many s).
    ``abort`` → drop the connection instead of sending the terminating chunk. ``stats``
    overrides fields of the final (done) object."""

    events: list[tuple[str, Any]] = field(default_factory=list)
    status: int = 200
    error: str | None = None
    raw: list[Any] | None = None
    abort: bool = False
    stats: dict[str, Any] = field(default_factory=dict)


def _ev(kind: str, text: str, chunk_words: bool = True) -> list[tuple[str, Any]]:
    pieces = re.findall(r"\s*\S+|\s+$", text) if chunk_words else [text] if text else []
    return [(kind, p) for p in pieces]


def text_reply(text: str, chunk_words: bool = True, done_reason: str = "stop") -> Reply:
    return Reply([*_ev("content", text, chunk_words), ("done", done_reason)])


def tool_calls_reply(calls: list[tuple[str, dict[str, Any]]], *, with_ids: bool = False,
                     text: str = "") -> Reply:
    """All calls whole in ONE non-final chunk (after optional ``text`` chunks), then done."""
    out = []
    for i, (name, args) in enumerate(calls):
        fn: dict[str, Any] = {"name": name, "arguments": args}
        if with_ids:
            digest = hashlib.sha256(f"{i}:{name}".encode()).hexdigest()[:8]
            out.append({"id": f"call_{digest}", "function": {"index": i, **fn}})
        else:
            out.append({"function": fn})
    return Reply([*_ev("content", text), ("tool_calls", out), ("done", "stop")])


def tool_call_reply(name: str, arguments: dict[str, Any], *, with_ids: bool = False) -> Reply:
    return tool_calls_reply([(name, arguments)], with_ids=with_ids)


def thinking_reply(thinking: str, text: str, chunk_words: bool = True) -> Reply:
    return Reply([*_ev("thinking", thinking, chunk_words), *_ev("content", text, chunk_words),
                  ("done", "stop")])


def error_mid_stream(text_before: str, error_message: str) -> Reply:
    return Reply([*_ev("content", text_before), ("error", error_message)])


def truncated(text: str, abort: bool = False) -> Reply:
    return Reply(_ev("content", text), abort=abort)


def http_error(status: int, message: str) -> Reply:
    return Reply(status=status, error=message)


def _now(delta: float = 0.0) -> str:  # RFC 3339, like "2023-08-04T19:22:45.499127Z"
    return (datetime.now(timezone.utc) + timedelta(seconds=delta)).strftime("%FT%T.%fZ")


def _vector(text: str, dim: int = 8) -> list[float]:
    raw = [(b - 127.5) / 127.5 for b in hashlib.sha256(text.encode()).digest()[:dim]]
    norm = sum(x * x for x in raw) ** 0.5 or 1.0
    return [round(x / norm, 7) for x in raw]


def _words(*texts: Any) -> int:
    return sum(len(str(t).split()) for t in texts if t)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeOllama


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:  # one handler instance per accepted TCP connection
        super().setup()
        with self.server.fake._lock:
            self.server.fake.connections += 1
            self.server.fake._socks.add(self.request)

    def do_GET(self) -> None:
        self.server.fake._dispatch(self)

    do_POST = do_DELETE = do_HEAD = do_PUT = do_GET

    def send(self, status: int, body: Any, cut: bool = False) -> None:
        """A str body goes out as text/plain (Go style), anything else as JSON."""
        text = isinstance(body, str)
        data = (body if text else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{'text/plain' if text else 'application/json'}; "
                         "charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data[: len(data) // 2] if cut else data)
        if cut:
            self.close_connection = True

    def stream(self, objs: list[Any], abort: bool = False) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for obj in objs:
                if self.server.fake.delay:
                    time.sleep(self.server.fake.delay)
                if isinstance(obj, float):  # in a raw script: pause this many seconds
                    time.sleep(obj)
                    continue
                data = obj if isinstance(obj, bytes) else (json.dumps(obj) + "\n").encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            if abort:
                self.close_connection = True
                return
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True


class FakeOllama:
    """Threaded HTTP/1.1 fake Ollama on 127.0.0.1 (free port); serving once constructed.

    ``script`` / ``generate_script``: :class:`Reply` queues for /api/chat and /api/generate
    (``default_reply`` when empty; with ``chat_missing`` /api/generate also takes ``script``).
    ``loaded``: names in /api/ps. ``pull_error``: /api/pull streams it as ``{"error": …}``."""

    def __init__(self, models: dict[str, dict[str, Any]] | None = None, *, delay: float = 0.0,
                 chat_missing: bool = False, version: str = "0.12.3") -> None:
        self.models = copy.deepcopy(DEFAULT_MODELS if models is None else models)
        self.loaded: list[str] = ["llama3.2:1b"] if "llama3.2:1b" in self.models else []
        self.delay, self.chat_missing, self.version = delay, chat_missing, version
        self.script: deque[Reply] = deque()
        self.generate_script: deque[Reply] = deque()
        self.default_reply = text_reply("Hello from fake Ollama")
        self.pull_error: str | None = None
        self.requests: list[tuple[str, str, Any]] = []  # (method, path, json body or None)
        self.connections = 0  # TCP connections accepted
        self.chat_headers: list[dict[str, str]] = []  # each /api/chat request's headers
        self.active = 0  # chat requests being answered now
        self.peak_active = 0
        self._lock = threading.Lock()
        self._socks: set[socket.socket] = set()
        self._closed = False
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def enqueue(self, *replies: Reply, endpoint: str = "chat") -> None:
        with self._lock:
            (self.script if endpoint == "chat" else self.generate_script).extend(replies)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            socks = list(self._socks)
        for s in socks:  # wake handler threads parked on idle keep-alive connections
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)

    def __enter__(self) -> FakeOllama:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _dispatch(self, h: _Handler) -> None:
        path = urlsplit(h.path).path
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        body: Any = None
        with contextlib.suppress(ValueError):
            body = json.loads(raw) if raw else None
        with self._lock:
            self.requests.append((h.command, path, body))
        if path == "/api/chat":
            with self._lock:
                self.chat_headers.append(dict(h.headers.items()))
                self.active += 1
                self.peak_active = max(self.peak_active, self.active)
            try:
                return self._route(h, path, body, raw)
            finally:
                with self._lock:
                    self.active -= 1
        return self._route(h, path, body, raw)

    def _route(self, h: _Handler, path: str, body: Any, raw: bytes) -> None:
        if h.command in ("GET", "HEAD") and path == "/":
            return h.send(200, "Ollama is running")
        fn = {("GET", "/api/version"): lambda h, b: h.send(200, {"version": self.version}),
              ("GET", "/api/tags"): self._tags, ("GET", "/api/ps"): self._ps,
              ("POST", "/api/show"): self._show, ("POST", "/api/embed"): self._embed,
              ("POST", "/api/pull"): self._pull,
              ("POST", "/api/generate"): lambda h, b: self._completion(h, b, False),
              ("POST", "/api/chat"): None if self.chat_missing else
              lambda h, b: self._completion(h, b, True)}.get((h.command, path))
        if fn is None:
            return h.send(404, NOT_FOUND)
        if h.command == "POST" and not isinstance(body, dict):
            return h.send(400, {"error": "invalid JSON body" if raw else
                                     "missing request body"})
        return fn(h, body or {})

    def _model(self, h: _Handler, body: dict, need: str | None = None) -> str | None:
        name = str(body.get("model") or body.get("name") or "")
        key = name if name in self.models else f"{name}:latest"
        if not name:
            h.send(400, {"error": "model is required"})
        elif key not in self.models:
            h.send(404, {"error": f"model '{name}' not found"})
        elif need and need not in self.models[key].get("capabilities", []):
            h.send(400, {"error": f'"{name}" does not support {need}'})
        else:
            return key
        return None

    def _set_loaded(self, key: str, loaded: bool = True) -> None:
        with self._lock:
            self.loaded = [k for k in self.loaded if k != key] + ([key] if loaded else [])

    def _tags(self, h: _Handler, body: Any) -> None:
        h.send(200, {"models": [
            {"name": k, "model": k, "modified_at": "2025-09-01T10:00:00.000000000Z",
             "size": m["size"], "digest": m["digest"], "details": m["details"]}
            for k, m in self.models.items()]})

    def _show(self, h: _Handler, body: dict) -> None:
        if (key := self._model(h, body)) is None:
            return
        m = self.models[key]
        arch = m["details"].get("family", "llama")
        h.send(200, {
            "license": "", "modelfile": f'# Modelfile generated by "ollama show"\nFROM {key}\n',
            "parameters": "", "template": m.get("template", "{{ .System }}\n{{ .Prompt }}"),
            "details": m["details"], "capabilities": m.get("capabilities", []),
            "modified_at": "2025-09-01T10:00:00.000000000Z",
            "model_info": {"general.architecture": arch, "general.parameter_count": m["size"],
                           f"{arch}.context_length": m.get("context_length", 4096)}})

    def _ps(self, h: _Handler, body: Any) -> None:
        with self._lock:
            loaded = [(k, self.models[k]) for k in self.loaded if k in self.models]
        h.send(200, {"models": [
            {"name": k, "model": k, "size": m["size"], "digest": m["digest"],
             "details": m["details"], "expires_at": _now(300), "size_vram": m["size"],
             "context_length": m.get("loaded_context", 4096)} for k, m in loaded]})

    def _embed(self, h: _Handler, body: dict) -> None:
        if (key := self._model(h, body, "embedding")) is None:
            return
        self._set_loaded(key)
        inp = body.get("input", [])
        texts = [inp] if isinstance(inp, str) else list(inp)
        h.send(200, {"model": body.get("model") or key,
                     "embeddings": [_vector(str(t)) for t in texts],
                     "total_duration": 14_143_917, "load_duration": 1_019_500,
                     "prompt_eval_count": max(_words(*texts), len(texts))})

    def _pull(self, h: _Handler, body: dict) -> None:
        if not (name := body.get("model") or body.get("name")):
            return h.send(400, {"error": "model is required"})
        streaming = body.get("stream") is not False
        if err := self.pull_error:
            e = {"error": err}
            return h.stream([{"status": "pulling manifest"}, e]) if streaming else h.send(500, e)
        key = name if name in self.models or ":" in name else f"{name}:latest"
        m = self.models.setdefault(key, model_entry(key, 1_000_000, "llama", "1B", "Q4_K_M",
                                                    ["completion"], 8192, 4096))
        if not streaming:
            return h.send(200, {"status": "success"})
        dg, total = "sha256:" + m["digest"], m["size"]
        lines: list[dict[str, Any]] = [{"status": "pulling manifest"}]
        lines += [{"status": f"downloading {dg}", "digest": dg, "total": total,
                   **({"completed": total * i // 4} if i else {})} for i in range(5)]
        lines += [{"status": s} for s in ("verifying sha256 digest", "writing manifest",
                                          "removing any unused layers", "success")]
        h.stream(lines)

    def _completion(self, h: _Handler, body: dict, chat: bool) -> None:
        if (key := self._model(h, body, "completion")) is None:
            return
        caps, model = self.models[key].get("capabilities", []), body.get("model") or key
        if chat and body.get("tools") and "tools" not in caps:
            return h.send(400, {"error": f'"{model}" does not support tools'})
        if body.get("think") and "thinking" not in caps:
            return h.send(400, {"error": f'"{model}" does not support thinking'})
        msgs = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        words = (_words(*(m.get("content") for m in msgs)) if chat
                 else _words(body.get("system"), body.get("prompt")))
        streaming = body.get("stream") is not False
        if not (msgs if chat else body.get("prompt")):  # documented load / unload request
            unload = body.get("keep_alive") in (0, "0", "0s")
            self._set_loaded(key, not unload)
            obj = {k: v for k, v in self._line(model, chat, "done", "unload" if unload else "load",
                                               0, 0, {}).items() if k in _LOAD_KEYS}
            return h.stream([obj]) if streaming else h.send(200, obj)
        self._set_loaded(key)
        with self._lock:
            q = self.script if chat else (self.generate_script or
                                          (self.script if self.chat_missing else None))
            reply = q.popleft() if q else self.default_reply
        if reply.error is not None:
            return h.send(reply.status, {"error": reply.error})
        if reply.raw is not None:
            return h.stream(reply.raw, reply.abort)
        events = [(k, v) for k, v in reply.events if chat or k != "tool_calls"]
        n_out = sum(1 for k, _ in events if k in ("content", "thinking", "tool_calls"))
        if streaming:
            return h.stream([self._line(model, chat, k, v, words, n_out, reply.stats)
                             for k, v in events], reply.abort)
        if errors := [v for k, v in events if k == "error"]:
            return h.send(500, {"error": errors[0]})
        reason = next((v for k, v in events if k == "done"), None)
        obj = self._line(model, chat, "done", reason or "stop", words, n_out, reply.stats)
        text, thinking = ("".join(v for k, v in events if k == kind)
                          for kind in ("content", "thinking"))
        calls = [c for k, v in events if k == "tool_calls" for c in v]
        target = obj["message"] if chat else obj
        target["content" if chat else "response"] = text
        target.update({k: v for k, v in (("thinking", thinking), ("tool_calls", calls)) if v})
        obj["done"] = reason is not None  # truncated: announce the body, send half, hang up
        return h.send(200, obj, cut=reason is None)

    @staticmethod
    def _line(model: str, chat: bool, kind: str, val: Any, words: int, n_out: int,
              stats: dict) -> dict[str, Any]:
        """One NDJSON object of a chat (``message``) or generate (``response``) stream."""
        if kind == "error":
            return {"error": val}
        obj: dict[str, Any] = {"model": model, "created_at": _now()}
        if chat:
            obj["message"] = {"role": "assistant", "content": val if kind == "content" else ""}
            if kind in ("thinking", "tool_calls"):
                obj["message"][kind] = val
        else:
            obj["response"] = val if kind == "content" else ""
            if kind == "thinking":
                obj["thinking"] = val
        obj["done"] = kind == "done"
        if kind == "done":
            obj["done_reason"] = val
            if not chat:
                obj["context"] = [1, 2, 3]
            p, e = max(words, 1), max(n_out, 1)
            obj.update({"total_duration": 3_500_000 + p * 1_000_000 + e * 15_000_000,
                        "load_duration": 2_500_000, "prompt_eval_count": p,
                        "prompt_eval_duration": p * 1_000_000, "eval_count": e,
                        "eval_duration": e * 15_000_000, **stats})
        return obj
