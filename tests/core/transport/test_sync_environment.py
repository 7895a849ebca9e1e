"""The blocking transport builds requests itself (``Session.request`` re-reads the
environment on every call): what requests would take from the environment must still apply —
proxy variables, ``.netrc`` logins, and the client's own headers."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from localllm import Client


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, dict(self.headers)))
        body = json.dumps({"models": [{"name": "m", "model": "m"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[tuple[str, dict[str, str]]]]]:
    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_proxy_from_environment_is_used(recorder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy, seen = recorder
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with Client("http://models.invalid:11434", backend="ollama") as client:
        assert [m.name for m in client.models()] == ["m"]
        client.models()
    # a proxy sees the absolute URL: the request went through it, both times
    assert [path for path, _ in seen] == ["http://models.invalid:11434/api/tags"] * 2


def test_no_proxy_from_environment_is_honoured(recorder: Any, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    url, seen = recorder
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # discard port: must not be used
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with Client(url, backend="ollama") as client:
        client.models()
    assert [path for path, _ in seen] == ["/api/tags"]


def test_netrc_login_and_client_headers_are_sent(recorder: Any, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    url, seen = recorder
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login alice password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    for var in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(var, raising=False)
    with Client(url, backend="ollama") as client:
        client.models()
    headers = seen[0][1]
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert headers["User-Agent"] == "localllm"
