"""A loopback HTTP/1.1 server that answers each path with a case's exact ``Reply``.

Each piece of a reply body is its own write (and its own HTTP chunk when chunked), so a
case decides where records, lines and UTF-8 characters are split. Paths the case does not
answer get Go's mux answer, ``404 page not found`` in plain text, as Ollama and most Go
proxies send. Every request is recorded (method, path, JSON body, headers).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .case import Reply

_NOT_FOUND = Reply(404, (b"404 page not found",), "text/plain; charset=utf-8")


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    body: Any
    headers: Mapping[str, str]


class ReplayServer:
    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(data) if data else None
                except ValueError:
                    body = data
                path = self.path.split("?")[0]
                with owner._lock:
                    owner.seen.append(Seen(self.command, path, body, dict(self.headers)))
                    reply = owner.routes.get(f"{self.command} {path}") \
                        or owner.routes.get(path) or _NOT_FOUND
                self._send(reply)

            do_GET = do_POST = do_HEAD = _handle

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                for name, value in reply.headers:
                    self.send_header(name, value)
                if reply.framing == "chunked":
                    self.send_header("Transfer-Encoding", "chunked")
                elif reply.framing == "length":
                    self.send_header("Content-Length", str(sum(map(len, reply.body))))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                for piece in reply.body:
                    if reply.framing == "chunked":
                        if piece:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    else:
                        self.wfile.write(piece)
                    self.wfile.flush()
                if reply.framing == "chunked":
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def serve(self, routes: Mapping[str, Reply]) -> None:
        with self._lock:
            self.routes = dict(routes)
            self.seen = []

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
