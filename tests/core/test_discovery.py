"""Default endpoint resolution: env vars, port probing order, embedded fallback, error text."""

from __future__ import annotations

import logging
import socket

import pytest

from localllm import Client
from localllm.discovery import discover, normalize_host, probe_port
from localllm.errors import ConnectionFailed
from tests.support.fake_ollama import FakeOllama


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCALLLM_BASE_URL", raising=False)
    monkeypatch.delenv("OLLAMA_HOST", raising=False)


@pytest.mark.parametrize(("value", "url"), [
    ("localhost", "http://localhost:11434"), ("0.0.0.0:1234", "http://127.0.0.1:1234"),
    (":8080", "http://127.0.0.1:8080"), ("https://gpu.lan:443/", "https://gpu.lan:443"),
    ("embedded", "embedded")])
def test_ollama_host_forms(value: str, url: str) -> None:
    assert normalize_host(value) == url


def test_env_vars_win_in_order(monkeypatch: pytest.MonkeyPatch,
                               caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "10.1.2.3:11434")
    assert discover(ports=()).url == "http://10.1.2.3:11434"
    monkeypatch.setenv("LOCALLLM_BASE_URL", "http://127.0.0.1:9999/v1")
    with caplog.at_level(logging.INFO, logger="localllm"):
        found = discover(ports=())
    assert (found.url, found.source) == ("http://127.0.0.1:9999/v1", "LOCALLLM_BASE_URL")
    assert "LOCALLLM_BASE_URL" in caplog.text


def test_probes_ports_in_order_and_checks_the_body() -> None:
    closed = free_port()
    with FakeOllama() as first, FakeOllama() as second:
        found = discover(ports=(("nothing", closed), ("A", first.port), ("B", second.port)))
        assert (found.url, found.backend) == (first.url, "ollama")
        assert probe_port("127.0.0.1", closed) is None


def test_port_that_answers_something_else_is_skipped() -> None:
    import http.server
    import threading

    class Any200(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # answers 200 to every path, like LM Studio's catch-all
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>hello</html>")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Any200)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert probe_port("127.0.0.1", server.server_address[1]) is None
    finally:
        server.shutdown()
        server.server_close()


def test_falls_back_to_embedded_then_explains_what_was_tried() -> None:
    closed = free_port()
    assert discover(ports=(("x", closed),)).url == "embedded"  # the server extra is installed
    with pytest.raises(ConnectionFailed) as info:
        discover(ports=(("Ollama", closed),), allow_embedded=False)
    text = str(info.value)
    assert f"Ollama http://127.0.0.1:{closed}" in text and "OLLAMA_HOST" in text
    assert "localllm[server]" in text


def test_client_without_url_uses_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                 fake_ollama: FakeOllama) -> None:
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)
    with Client() as c:
        assert c.chat("hi", model="llama3.2:1b").content == "Hello from fake Ollama"
