"""A fault-injecting HTTP/1.1 server on loopback, speaking Ollama NDJSON and OpenAI SSE.

Raw sockets, one thread per connection, so every fault is exact: a reset (RST) before the
headers or mid-stream, a body that ends without ``done`` / ``[DONE]``, a 10 MiB line, a drip,
silence, a non-HTTP banner. Each chat request takes the next scripted ``Step`` (per model name,
else the shared queue; an empty script means a normal answer). The server counts requests per
path and records every connection, so tests can assert "the server saw the connection closed
within 1 s".

The stream framing of each protocol is in ``wire.py``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import json
import select
import socket
import struct
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from .wire import CHAT_PATHS, MODELS, OK, OLLAMA, OPENAI, TEXT, Step, echo_items, render

__all__ = ["MODELS", "OK", "OLLAMA", "OPENAI", "TEXT", "Conn", "FaultServer", "Step",
           "closed_port"]
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable"}
_RECV = 65536


@dataclass
class Conn:
    """One accepted TCP connection, as the server saw it."""

    opened: float
    requests: int = 0
    closed_at: float | None = None
    closed_by: str | None = None  # "client" | "server"

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


class _PeerGone(Exception):
    """The client closed or reset the connection."""


class FaultServer:
    """``with FaultServer() as s:`` → ``s.url``; script faults with ``s.script(...)``.

    ``flavour`` decides what the probe endpoints say: ``"ollama"`` answers
    ``/api/version``; ``"openai"`` answers it 404 like llama.cpp, so auto-detection falls
    through to ``/v1/models``. Both chat paths are always served.
    """

    def __init__(self, flavour: str = OLLAMA) -> None:
        self.flavour = flavour
        self._lock = threading.Lock()
        self._queue: deque[Step] = deque()
        self._by_model: dict[str, deque[Step]] = {}
        self.default = OK  # the answer to a request no script step is left for
        self.counts: Counter[str] = Counter()
        self.model_counts: Counter[str] = Counter()  # chat requests per model name
        self.auth_seen: list[str] = []  # Authorization header values received
        self.conns: list[Conn] = []
        self._live: set[socket.socket] = set()
        self.peak_open = 0  # most connections open at once since the last reset
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1024)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._acceptor = threading.Thread(target=self._accept_loop, name="fault-accept",
                                          daemon=True)
        self._acceptor.start()

    # -- test-facing API ---------------------------------------------------------------------
    def script(self, *steps: Step, model: str | None = None) -> None:
        """Answer the next chat requests (for ``model``, or any) with these steps in order."""
        with self._lock:
            if model is None:
                self._queue.extend(steps)
            else:
                self._by_model.setdefault(model, deque()).extend(steps)

    def reset(self, flavour: str | None = None) -> None:
        with self._lock:
            self._queue.clear()
            self._by_model.clear()
            self.default = OK
            self.counts.clear()
            self.model_counts.clear()
            self.auth_seen = []
            self.conns = []
            self.peak_open = len(self._live)
            if flavour:
                self.flavour = flavour

    @property
    def chat_requests(self) -> int:
        return sum(self.counts[p] for p in CHAT_PATHS)

    def open_conns(self) -> list[Conn]:
        with self._lock:
            return [c for c in self.conns if not c.closed]

    def wait_closed(self, timeout: float = 1.0) -> bool:
        """True once every recorded connection is closed (within ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while self.open_conns():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        self._acceptor.join(2)
        with self._lock:
            live = list(self._live)
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(2)

    def __enter__(self) -> FaultServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connections -------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._listener], [], [], 0.05)
                if not ready:
                    continue
                sock, _ = self._listener.accept()
            except OSError:
                return
            conn = Conn(opened=time.monotonic())
            with self._lock:
                self.conns.append(conn)
                self._live.add(sock)
                self.peak_open = max(self.peak_open, len(self._live))
                self._threads = [t for t in self._threads if t.is_alive()]
            thread = threading.Thread(target=self._serve, args=(sock, conn), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket, conn: Conn) -> None:
        buffer = b""
        try:
            while not self._stop.is_set():
                request, buffer = self._read_request(sock, buffer)
                if request is None:
                    raise _PeerGone
                conn.requests += 1
                if not self._answer(sock, *request):
                    conn.closed_by = "server"
                    return
        except (_PeerGone, OSError):
            conn.closed_by = conn.closed_by or "client"
        finally:
            with self._lock:
                self._live.discard(sock)
            with contextlib.suppress(OSError):
                sock.close()
            conn.closed_at = time.monotonic()

    def _read_request(self, sock: socket.socket, buffer: bytes
                      ) -> tuple[tuple[str, str, Any] | None, bytes]:
        while b"\r\n\r\n" not in buffer:
            chunk = self._recv(sock)
            if not chunk:
                return None, b""
            buffer += chunk
        head, _, rest = buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path = lines[0].split(" ")[:2]
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
            elif name.strip().lower() == "authorization":
                self.auth_seen.append(value.strip())
        while len(rest) < length:
            chunk = self._recv(sock)
            if not chunk:
                return None, b""
            rest += chunk
        raw, rest = rest[:length], rest[length:]
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        return (method, path.split("?")[0], body), rest

    def _recv(self, sock: socket.socket) -> bytes:
        while not self._stop.is_set():
            ready, _, _ = select.select([sock], [], [], 0.05)
            if ready:
                return sock.recv(_RECV)
        return b""

    def _wait(self, sock: socket.socket, seconds: float | None) -> None:
        """Sleep (``None``: until the client leaves), noticing at once if the client leaves."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while not self._stop.is_set():
            left = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if left <= 0:
                return
            ready, _, _ = select.select([sock], [], [], left)
            if ready and not sock.recv(_RECV):
                raise _PeerGone
        raise _PeerGone

    # -- answers -----------------------------------------------------------------------------
    def _next_step(self, body: Any) -> Step:
        model = body.get("model") if isinstance(body, dict) else None
        with self._lock:
            self.model_counts[str(model)] += 1
            queue = self._by_model.get(model) if isinstance(model, str) else None
            if queue:
                step = queue.popleft()
                if not queue:
                    del self._by_model[model]  # type: ignore[arg-type]
                return step
            return self._queue.popleft() if self._queue else self.default

    def _answer(self, sock: socket.socket, method: str, path: str, body: Any) -> bool:
        """Answer one request; False when the connection must not be reused."""
        with self._lock:
            self.counts[path] += 1
        proto = CHAT_PATHS.get(path)
        if proto is None:
            status, payload = self._simple(path)
            self._send_json(sock, status, payload)
            return True
        step = self._next_step(body)
        if step.echo is not None:
            step = dataclasses.replace(step, items=echo_items(body, step.echo), echo=None)
        return self._chat(sock, proto, step)

    def _simple(self, path: str) -> tuple[int, Any]:
        if path == "/api/version" and self.flavour == OLLAMA:
            return 200, {"version": "0.12.0"}
        if path == "/api/tags" and self.flavour == OLLAMA:
            return 200, {"models": [{"name": m, "model": m, "size": 1} for m in MODELS]}
        if path == "/v1/models":
            return 200, {"object": "list", "data": [{"id": m, "object": "model"}
                                                    for m in MODELS]}
        if self.flavour == OLLAMA:
            return 404, "404 page not found"
        return 404, {"error": {"code": 404, "message": "File Not Found",
                               "type": "not_found_error"}}

    def _chat(self, sock: socket.socket, proto: str, step: Step) -> bool:
        if step.before == "reset":
            _reset(sock)
            return False
        if step.before == "hold":
            self._wait(sock, None)
        if isinstance(step.before, bytes):
            sock.sendall(step.before)
            return False
        headers = list(step.headers)
        if step.json is not None:
            payload = step.json(proto) if callable(step.json) else step.json
            self._send_json(sock, step.status, payload, headers)
            return True
        if step.body is not None:
            self._send(sock, step.status, step.body, step.content_type or "text/plain", headers)
            return True
        wire = (OPENAI if proto == OLLAMA else OLLAMA) if step.swap else proto
        ctype = step.content_type or ("application/x-ndjson" if wire == OLLAMA
                                      else "text/event-stream")
        if step.encoding == "identity":  # one Content-Length body; "close" cuts its end
            pieces = [render(wire, i) for i in step.items if i[0] != "pause"]
            body = b"".join(pieces)
            if step.end == "end":
                self._send(sock, step.status, body, ctype, headers)
                return True
            announced, sent = len(body), body[:len(body) - len(pieces[-1]) // 2]
            if step.end == "overlong":
                announced, sent = len(body) + 1000, body
            sock.sendall(_head(step.status, [("Content-Type", ctype),
                                             ("Content-Length", str(announced)), *headers])
                         + sent)
            return False
        if step.encoding is not None:
            data = b"".join(render(wire, i) for i in step.items if i[0] != "pause")
            body = gzip.compress(data) if step.encoding == "gzip" else data
            self._send(sock, step.status, body, ctype, [("Content-Encoding", "gzip"), *headers])
            return True
        head = _head(step.status, [("Content-Type", ctype),
                                   ("Transfer-Encoding", "chunked"), *headers])
        sock.sendall(head)
        for item in step.items:
            if item[0] == "pause":
                self._wait(sock, item[1])
                continue
            data = render(wire, item)
            for i in range(0, len(data), _RECV):
                piece = data[i:i + _RECV]
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        if step.end == "end":
            sock.sendall(b"0\r\n\r\n")
            return True
        if step.end == "reset":
            _reset(sock)
        elif step.end == "bad-framing":  # a chunk-size line that is not hex, then silence
            sock.sendall(b"zz\r\n")
            self._wait(sock, None)
        elif step.end == "hold":
            self._wait(sock, None)
        return False

    def _send_json(self, sock: socket.socket, status: int, payload: Any,
                   headers: list[tuple[str, str]] | None = None) -> None:
        if isinstance(payload, str):
            self._send(sock, status, payload.encode(), "text/plain", headers or [])
        else:
            self._send(sock, status, json.dumps(payload).encode(), "application/json",
                       headers or [])

    @staticmethod
    def _send(sock: socket.socket, status: int, body: bytes, ctype: str,
              headers: list[tuple[str, str]]) -> None:
        sock.sendall(_head(status, [("Content-Type", ctype),
                                    ("Content-Length", str(len(body))), *headers]) + body)


def _head(status: int, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0) instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
