"""Blocking transport on ``requests`` (one pooled Session per client)."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Generator, Iterator
from typing import Any

import requests
import urllib3.exceptions as u3
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest
from requests.utils import get_netrc_auth

from .._io import (
    BoundedBody,
    Close,
    Emit,
    HttpRequest,
    HttpResponse,
    Open,
    Read,
    ReadTimedOut,
    Send,
    Sleep,
    broken_read,
    detached,
    unreadable_http,
)
from ..errors import ConnectionFailed, ConnectTimeout
from ..types import Delta
from ..wire.chunked import ChunkedDecoder, ChunkedEncodingError

_READ_ERRORS = (u3.ProtocolError, u3.IncompleteRead, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ConnectionError, ConnectionError, OSError)


class _Stream:
    """An open streaming response and the socket whose timeout each read sets."""

    __slots__ = ("_chunked", "_chunks", "_read", "_sock", "_timeout", "response")

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        raw = response.raw
        conn = getattr(raw, "_connection", None) or getattr(raw, "connection", None)
        self._sock: socket.socket | None = getattr(conn, "sock", None)
        self._timeout: float | None = -1.0
        self._chunks: Iterator[bytes] | None = None
        self._chunked: ChunkedDecoder | None = None
        self._read = getattr(raw, "read1", None) or raw.read  # recorders (vcrpy) lack read1
        if hasattr(raw, "decode_content"):  # requests turns it off; gzip/deflate bodies
            raw.decode_content = True  # without chunking must be decoded too
        if getattr(raw, "chunked", False) and raw.supports_chunked_reads():
            encoded = bool(response.headers.get("Content-Encoding"))
            http_response = getattr(raw, "_original_response", None)
            if not encoded and type(http_response) is http.client.HTTPResponse \
                    and http_response.fp is not None and raw.chunk_left is None:
                # plain chunked body on a real socket: take whatever has arrived in one
                # read and unframe it here (urllib3 does the same reads, chunk by chunk)
                self._chunked = ChunkedDecoder()
                self._read = http_response.fp.read1
            else:  # compressed, or a recorder's stand-in: urllib3 decodes
                self._chunks = raw.read_chunked(None, decode_content=encoded)

    def read(self, timeout: float | None) -> bytes:
        if timeout != self._timeout and self._sock is not None:
            self._sock.settimeout(timeout)
            self._timeout = timeout
        try:
            if self._chunked is not None:
                return self._read_chunked(self._chunked)
            if self._chunks is not None:
                return next(self._chunks, b"")
            return self._read(65536)  # type: ignore[no-any-return]
        except ChunkedEncodingError as exc:
            raise broken_read(str(exc), hint="The server's chunked framing is broken.") from None
        except (u3.ReadTimeoutError, TimeoutError):
            raise ReadTimedOut() from None
        except u3.DecodeError as exc:
            raise unreadable_http(str(exc.args[0] if exc.args else exc)) from None
        except _READ_ERRORS as exc:
            raise broken_read(type(exc).__name__) from None

    def _read_chunked(self, decoder: ChunkedDecoder) -> bytes:
        while not decoder.done:
            data = self._read(65536)
            if not data:
                raise broken_read("the body ended before its last chunk",
                                  hint="The server closed the connection mid-answer.")
            out = decoder.feed(data)
            if decoder.done:  # as urllib3 does at the end: the connection can be reused
                self.response.raw._original_response.close()
            if out:
                return out
        return b""

    def close(self, reuse: bool) -> None:
        if reuse:
            # Fully read: hand the connection back to the pool. (Response.close() would
            # close the socket under urllib3 2.x and cost a new TCP connection per call.)
            release = getattr(self.response.raw, "release_conn", None)
            if release is not None:
                release()
                return
        conn = getattr(self.response.raw, "_connection", None)
        if conn is not None:
            conn.close()  # unread data: drop the socket so the server stops generating
        self.response.close()


class SyncTransport:
    def __init__(self, headers: dict[str, str], pool_size: int = 32) -> None:
        self._session = requests.Session()
        self._session.headers.update(headers)
        self._session.headers["User-Agent"] = "localllm"
        self._adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size,
                                    max_retries=0)
        self._session.mount("http://", self._adapter)
        self._session.mount("https://", self._adapter)
        self._routes: dict[str, tuple[str, dict[str, Any], Any]] = {}
        self.closed = False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        # urllib3 2.x's PoolManager.clear() only forgets its pools (no dispose function), so
        # their idle sockets stay open for as long as anything (a caught exception's
        # traceback, say) still references a pool: close every pool explicitly first.
        pools = self._adapter.poolmanager.pools
        for key in pools.keys():  # noqa: SIM118 (the container refuses iteration)
            pool = pools.get(key)
            if pool is not None:
                pool.close()
        self._session.close()

    # -- commands ------------------------------------------------------------------------------
    def _route(self, url: str) -> tuple[str, dict[str, Any], Any]:
        """The normalised URL, the environment's proxy/CA settings and any ``.netrc`` login
        for ``url``, looked up once per URL (as httpx reads its environment once per client):
        requests' ``Session.request`` redoes this on every call, ~0.5 ms of a warm request."""
        route = self._routes.get(url)
        if route is None:
            session = self._session
            probe = PreparedRequest()
            probe.prepare_url(url, None)
            settings = session.merge_environment_settings(probe.url, {}, True, None, None)
            auth = get_netrc_auth(probe.url) if session.trust_env else None
            if len(self._routes) >= 64:
                self._routes.clear()
            route = self._routes[url] = (probe.url, settings, auth)
        return route

    def _prepared(self, req: HttpRequest) -> tuple[PreparedRequest, dict[str, Any]]:
        """What ``Session.prepare_request`` builds, minus its per-call cookie and environment
        work (local model servers set no cookies)."""
        url, settings, auth = self._route(req.url)
        prep = PreparedRequest()
        prep.method = req.method
        prep.url = url
        prep.headers = self._session.headers.copy()
        prep.prepare_body(None, None, req.json)
        if auth is not None:
            prep.prepare_auth(auth)
        return prep, settings

    def _request(self, cmd: Send | Open) -> requests.Response:
        req = cmd.request
        try:
            prep, settings = self._prepared(req)
            return self._adapter.send(prep, timeout=(cmd.connect_timeout, cmd.read_timeout),
                                      **settings)
        except requests.exceptions.ConnectTimeout:
            raise ConnectTimeout(f"Could not connect within {cmd.connect_timeout}s",
                                 url=req.url, hint="Is the server up and reachable?") from None
        except requests.exceptions.ReadTimeout:
            raise ReadTimedOut() from None
        except requests.exceptions.RequestException as exc:
            answer = _not_http_answer(exc)
            if answer is not None:
                raise unreadable_http(answer, req.url) from None
            raise ConnectionFailed(f"Could not reach the server: {_reason(exc)}", url=req.url,
                                   hint="Start the server, or check host and port.") from None

    def send(self, cmd: Send) -> HttpResponse:
        resp = self._request(cmd)
        stream = _Stream(resp)
        try:
            body = _read_bounded(stream, cmd.read_timeout)
        finally:
            stream.close(reuse=True)
        return HttpResponse(resp.status_code, resp.headers, body)

    def open(self, cmd: Open) -> tuple[HttpResponse, _Stream | None]:
        resp = self._request(cmd)
        stream = _Stream(resp)
        if 200 <= resp.status_code < 300:
            return HttpResponse(resp.status_code, resp.headers), stream
        try:
            body = _read_bounded(stream, cmd.read_timeout)
        finally:
            stream.close(reuse=True)
        return HttpResponse(resp.status_code, resp.headers, body), None

    def drive(self, flow: Generator[Any, Any, Any], box: list[Any] | None = None
              ) -> Generator[Delta, None, None]:
        """Carry out a flow's commands; yield the deltas it emits. Closes the open body on
        every exit (error, break, generator close)."""
        stream: _Stream | None = None
        value: Any = None
        error: BaseException | None = None
        try:
            while True:
                try:
                    cmd = flow.throw(error) if error is not None else flow.send(value)
                except StopIteration as stop:
                    if box is not None:
                        box.append(stop.value)
                    return
                value = error = None
                kind = type(cmd)
                if kind is Emit:
                    yield from cmd.deltas
                    if cmd.then_read is None:
                        continue
                    cmd, kind = cmd.then_read, Read
                try:
                    if kind is Read:
                        value = stream.read(cmd.timeout)  # type: ignore[union-attr]
                    elif kind is Open:
                        value, stream = self.open(cmd)
                    elif kind is Send:
                        value = self.send(cmd)
                    elif kind is Close:
                        stream.close(cmd.reuse)  # type: ignore[union-attr]
                        stream = None
                    elif kind is Sleep:
                        time.sleep(cmd.seconds)
                except Exception as exc:
                    if stream is not None:
                        stream.close(reuse=False)
                        stream = None
                    error = detached(exc)
        finally:
            if stream is not None:
                stream.close(reuse=False)
            flow.close()

    def run(self, flow: Generator[Any, Any, Any]) -> Any:
        box: list[Any] = []
        for _ in self.drive(flow, box):
            raise AssertionError("a request/response flow emitted deltas")
        return box[0]


def _read_bounded(stream: _Stream, timeout: float | None) -> bytes:
    body = BoundedBody()
    while body.add(stream.read(timeout)):
        pass
    return body.bytes()


def _not_http_answer(exc: BaseException) -> str | None:
    """The peer's first line when it answered something other than HTTP. (A peer that just
    closed raises ``RemoteDisconnected``, a ``BadStatusLine`` too, but a connection error.)"""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, http.client.BadStatusLine) and not isinstance(seen, ConnectionError):
            return str(seen.line if hasattr(seen, "line") else seen).strip()
        inner = [a for a in getattr(seen, "args", ()) if isinstance(a, BaseException)]
        seen = inner[-1] if inner else seen.__cause__ or seen.__context__
    return None


def _reason(exc: BaseException) -> str:
    """The root cause ("[Errno 111] Connection refused") without request details."""
    inner = exc.args[0] if exc.args else exc
    text = str(getattr(inner, "reason", inner))
    return text.rsplit(": ", 1)[-1].strip("')\"")[:200] or type(exc).__name__
