"""The blocking transport's two fast paths give what the general paths give.

``lean_prepared`` against ``Session.prepare_request``; ``chunked_reader`` (the own chunked
decoder over one socket read) against urllib3's public reader, on real loopback bodies
split in every way a server may flush them, broken framing included.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from localllm.errors import ConnectionFailed
from localllm.http import HttpRequest
from localllm.transport.sync import (
    Route,
    chunked_reader,
    general_reader,
    lean_prepared,
    typed_error,
)

BODY = [b'{"a":1}\n', b"x" * 70000, b"", b"\n", b"data: z\n\n"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer k", "X-Extra": "1"}])
@pytest.mark.parametrize("json_body", [None, {"model": "m", "messages": [], "stream": True}])
def test_lean_prepared_request_is_what_the_session_prepares(
        headers: dict[str, str], json_body: object, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login user password pw\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    session = requests.Session()
    session.headers.update(headers)
    for url in ("http://127.0.0.1:9/v1/chat/completions", "http://LOCALHOST:9/a b?x=1"):
        request = HttpRequest("POST", url, json_body)
        route = Route(session, url)
        lean = lean_prepared(session, request, route)
        general = session.prepare_request(
            requests.Request("POST", url, json=json_body, auth=route.auth))
        assert (lean.method, lean.url, lean.body) == (general.method, general.url, general.body)
        assert dict(lean.headers) == dict(general.headers)
    assert "Basic" in lean_prepared(session, HttpRequest("GET", "http://127.0.0.1:9/x"),
                                    Route(session, "http://127.0.0.1:9/x")).headers[
                                        "Authorization"]


def _chunked(parts: list[bytes]) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts if p) + b"0\r\n\r\n"


class _OneShot:
    """Answers every connection with ``head`` + the body sent in ``pieces`` (separate
    writes), then keeps the connection open."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                         b"Content-Type: application/x-ndjson\r\n\r\n")
            for piece in self.pieces:
                conn.sendall(piece)
            conn.close()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def _read_all(read: object) -> bytes | str:
    out = b""
    try:
        while chunk := read():  # type: ignore[operator]
            out += chunk
    except Exception as exc:
        typed = typed_error(exc, "u", None, True)
        return f"{type(typed).__name__}" if isinstance(typed, ConnectionFailed) else repr(exc)
    return out


@pytest.mark.parametrize("split", ["whole", "per-chunk", "per-byte-head", "mid-size-line"])
def test_own_chunked_decoder_reads_what_urllib3_reads(session: requests.Session,
                                                      split: str) -> None:
    body = _chunked(BODY)
    pieces = {"whole": [body], "per-chunk": [_chunked([p])[:-5] for p in BODY if p]
              + [b"0\r\n\r\n"], "per-byte-head": [body[:1], body[1:2], body[2:]],
              "mid-size-line": [body[:2], body[2:9], body[9:]]}[split]
    server = _OneShot(pieces)
    fast = session.get(server.url, stream=True)
    reader = chunked_reader(fast)
    assert reader is not None  # the fast path applies to a plain chunked body
    general = session.get(server.url, stream=True)
    assert _read_all(reader) == _read_all(general_reader(general.raw)) == b"".join(BODY)


@pytest.mark.parametrize("broken", [b"zz\r\nabc\r\n", b"3\r\nabcXX", b"5\r\nab"])
def test_broken_framing_is_a_broken_read_on_both_paths(session: requests.Session,
                                                       broken: bytes) -> None:
    server = _OneShot([b"3\r\nabc\r\n", broken])
    responses = [session.get(server.url, stream=True)]  # held: a dropped one closes its file
    fast = _read_all(chunked_reader(responses[0]))
    responses.append(session.get(server.url, stream=True))
    general = _read_all(general_reader(responses[1].raw))
    assert fast == general == "ConnectionFailed"
