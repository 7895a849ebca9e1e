"""The ``localllm`` command line, on the real embedded server (Ollama ``pull`` on the
documented-wire fake Ollama)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from localllm.cli import main
from localllm.server import EmbeddedServer
from tests.support.fake_ollama import FakeOllama


def test_chat_streams_and_reports_speed(embedded_server: EmbeddedServer,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["chat", "What is the capital of France?", "--url", embedded_server.url,
                 "--max-tokens", "12", "--temperature", "0", "--system", "Be brief."])
    out = capsys.readouterr().out
    assert code == 0 and "tokens/s" in out and "first token after" in out
    assert len(out.splitlines()[0].strip()) > 0


def test_models_table(embedded_server: EmbeddedServer,
                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--url", embedded_server.url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "SIZE", "CONTEXT", "CAPABILITIES"]
    row = lines[1].split()
    assert row[0] == "gemma-3-270m" and "2048" in row and "tools" in row[-1]


def test_doctor_finds_the_server_and_names_problems(embedded_server: EmbeddedServer,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALLLM_BASE_URL", embedded_server.url)
    assert main(["doctor", "--url", "http://127.0.0.1:9"]) == 0
    out = capsys.readouterr().out
    assert f"LOCALLLM_BASE_URL={embedded_server.url}" in out
    assert "llama.cpp" in out and "gemma-3-270m: context 2048" in out
    assert "tools yes" in out and "embedding yes" in out
    assert "http://127.0.0.1:9 (given) does not answer" in out
    assert "Problems:" in out


def test_pull_shows_progress_and_is_ctrl_c_safe(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOllama() as fake:
        assert main(["pull", "llama3.2:1b", "--url", fake.url]) == 0
        captured = capsys.readouterr()
        assert "pulling manifest" in captured.out + captured.err
        assert "success" in captured.out + captured.err
        assert "100%" in captured.err  # the tqdm bar reached the layer's total

        import tqdm

        def interrupt(self: object, n: float = 1) -> None:
            raise KeyboardInterrupt

        monkeypatch.setattr(tqdm.tqdm, "update", interrupt)
        fake.delay = 0.05
        assert main(["pull", "llama3.2:1b", "--url", fake.url]) == 130
        assert "cancelled" in capsys.readouterr().out


def test_errors_are_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "hi", "--url", "http://127.0.0.1:9"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Could not reach the server") and "Hint:" in err


def test_serve_runs_in_the_foreground_until_ctrl_c() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "localllm.cli", "serve", "--port", str(port),
                             "--ctx", "2048", "--parallel", "1"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 120
        line = ""
        while "Serving" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
        assert f"http://127.0.0.1:{port}" in line and "2048 tokens per request" in line
        assert requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.frameworks
def test_demo_streams_through_both_frameworks(embedded_server: EmbeddedServer,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--url", embedded_server.url]) == 0
    out = capsys.readouterr().out
    assert "== LangChain" in out and "get_weather({'city': 'Paris'})" in out
    assert "== LlamaIndex: FunctionAgent" in out and "[tool get_weather" in out
    assert "Demo finished" in out
