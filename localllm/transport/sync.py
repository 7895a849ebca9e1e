"""Blocking transport on ``requests`` (one pooled Session per client)."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Callable, Generator
from typing import Any, cast

import requests
import urllib3.exceptions as u3
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from ..errors import LocalLLMError
from ..flows.commands import (
    Acquire,
    Close,
    Emit,
    Exchange,
    Flow,
    Open,
    Read,
    ReadTimedOut,
    Sleep,
)
from ..http import HttpRequest, HttpResponse
from ..secrets import Credentials
from ..wire.chunked import ChunkedDecoder, ChunkedEncodingError
from .body import BoundedBody
from .errors import broken_read, connect_timeout, detached, unreachable, unreadable_http

_READ_ERRORS = (u3.ProtocolError, u3.IncompleteRead, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ConnectionError, ConnectionError, OSError,
                http.client.HTTPException)


def typed_error(exc: Exception, url: str, connect: float | None, reading: bool
                ) -> BaseException:
    """This transport's exception table: what ``requests``, urllib3, http.client and the
    socket raise, as the typed error (or ``ReadTimedOut``) a flow understands."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return connect_timeout(url, connect)
    if isinstance(exc, (requests.exceptions.ReadTimeout, u3.ReadTimeoutError, TimeoutError)):
        return ReadTimedOut()
    if isinstance(exc, (u3.DecodeError, requests.exceptions.ContentDecodingError)):
        return unreadable_http(str(exc.args[0] if exc.args else exc), url)
    if isinstance(exc, ChunkedEncodingError):
        return broken_read(str(exc), hint="The server's chunked framing is broken.")
    if isinstance(exc, requests.exceptions.RequestException) and not reading:
        answer = _not_http_answer(exc)  # sending, or waiting for the head
        if answer is not None:
            return unreadable_http(answer, url)
        return unreachable(url, _reason(exc))
    if isinstance(exc, _READ_ERRORS):  # under a body: a stream's or a whole answer's
        return broken_read(type(exc).__name__)
    return exc  # already typed, or a bug: not ours to rename


class _NetrcAuth(AuthBase):
    """The ``.netrc`` login found once for a URL (or none): passing it keeps
    ``Session.prepare_request`` from reading ``~/.netrc`` again on every call."""

    def __init__(self, login: tuple[str, str] | None) -> None:
        self._basic = requests.auth.HTTPBasicAuth(*login) if login else None

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        return self._basic(r) if self._basic is not None else r


class Route:
    """What a URL needs on every request, found once: the environment's proxy and CA
    settings, any ``.netrc`` login, and the URL as ``requests`` normalises it."""

    __slots__ = ("auth", "settings", "url")

    def __init__(self, session: requests.Session, url: str) -> None:
        probe = requests.PreparedRequest()
        probe.prepare_url(url, None)
        self.url: str = probe.url or url
        found = session.merge_environment_settings(self.url, {}, True, None, None)
        self.settings: dict[str, Any] = dict(found)
        login = requests.utils.get_netrc_auth(self.url) if session.trust_env else None
        self.auth = _NetrcAuth(login)


def lean_prepared(session: requests.Session, req: HttpRequest, route: Route
                  ) -> requests.PreparedRequest:
    """The fast path of ``session.prepare_request(Request(...))`` for this client's
    requests (no cookies: local model servers set none; no hooks, files or params): the
    same method, URL, headers and body from ``PreparedRequest``'s public parts and the
    URL's ``Route``, in about 7 µs instead of 96 µs a request on this machine.
    ``tests/core/transport`` checks that the two agree."""
    prepared = requests.PreparedRequest()
    prepared.method = req.method
    prepared.url = route.url
    prepared.headers = cast(Any, session.headers).copy()  # a CaseInsensitiveDict
    if req.headers:
        prepared.headers.update(req.headers)
    prepared.prepare_body(None, None, req.json)
    prepared.prepare_auth(route.auth)
    return prepared


class _Stream:
    """An open streaming response and the socket whose timeout each read sets."""

    __slots__ = ("_read", "_sock", "_timeout", "response")

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        raw = response.raw  # urllib3's response, or a recorder's stand-in (vcrpy)
        self._sock: socket.socket | None = getattr(getattr(raw, "connection", None), "sock",
                                                   None)
        self._timeout: float | None = -1.0
        if hasattr(raw, "decode_content"):  # requests turns it off; gzip/deflate bodies
            raw.decode_content = True  # without chunking must be decoded too
        self._read = chunked_reader(response) or general_reader(raw)

    def read(self, timeout: float | None) -> bytes:
        if timeout != self._timeout and self._sock is not None:
            self._sock.settimeout(timeout)
            self._timeout = timeout
        return self._read()

    def close(self, reuse: bool) -> None:
        raw = self.response.raw
        if reuse and hasattr(raw, "release_conn"):
            # Fully read: hand the connection back to the pool. (Response.close() would
            # close the socket under urllib3 2.x and cost a new TCP connection per call.)
            raw.release_conn()
            return
        conn = getattr(raw, "connection", None)
        if conn is not None:
            conn.close()  # unread data: drop the socket so the server stops generating
        self.response.close()


def general_reader(raw: Any) -> Callable[[], bytes]:
    """urllib3's public reads: its chunk iterator for chunked bodies, else ``read1`` (what
    has arrived, decoded; urllib3 2) or ``read`` (urllib3 1.26, recorders such as vcrpy)."""
    if getattr(raw, "chunked", False) and raw.supports_chunked_reads():
        chunks = raw.read_chunked(None, decode_content=True)
        return lambda: next(chunks, b"")
    read: Callable[[int], bytes] = getattr(raw, "read1", None) or raw.read
    return lambda: read(65536)


def chunked_reader(response: requests.Response) -> Callable[[], bytes] | None:
    """The fast path for plain chunked bodies on a real socket: take whatever has arrived
    in one ``read1`` of the socket file and unframe it here (``wire.chunked``), instead of
    one trip through http.client's per-chunk reader for every token. It reads one private
    attribute of urllib3 (``_original_response``, the http.client response) and says
    None when that is not there or the body is compressed: then the general path reads.
    ``tests/core/transport`` checks both give the same bytes."""
    raw = response.raw
    fp_owner = getattr(raw, "_original_response", None)
    if not getattr(raw, "chunked", False) or response.headers.get("Content-Encoding") \
            or type(fp_owner) is not http.client.HTTPResponse or fp_owner.fp is None \
            or fp_owner.chunk_left is not None:
        return None
    read1 = fp_owner.fp.read1
    decoder = ChunkedDecoder()

    def read() -> bytes:
        while not decoder.done:
            data = read1(65536)
            if not data:
                raise broken_read("the body ended before its last chunk",
                                  hint="The server closed the connection mid-answer.")
            out = decoder.feed(data)
            if decoder.done:  # as urllib3 does at the end: the connection can be reused
                fp_owner.close()
            if out:
                return out
        return b""

    return read


class SyncTransport:
    def __init__(self, credentials: Credentials | None = None, pool_size: int = 32) -> None:
        self._credentials = credentials or Credentials()
        self._session = requests.Session()
        self._session.headers.update(self._credentials.headers())
        self._session.headers["User-Agent"] = "localllm"
        self._adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size,
                                    max_retries=0)
        self._session.mount("http://", self._adapter)
        self._session.mount("https://", self._adapter)
        self._routes: dict[str, Route] = {}
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
    def _route(self, url: str) -> Route:
        """``url``'s Route, looked up once per URL (as httpx reads its environment once per
        client): requests' ``Session.request`` redoes this on every call, ~0.5 ms of a warm
        request."""
        route = self._routes.get(url)
        if route is None:
            if len(self._routes) >= 64:
                self._routes.clear()
            route = self._routes[url] = Route(self._session, url)
        return route

    def _request(self, cmd: Exchange | Open) -> requests.Response:
        route = self._route(cmd.request.url)
        prepared = lean_prepared(self._session, cmd.request, route)
        login = self._credentials.basic_auth_for(route.url)
        if login is not None:
            prepared.headers["Authorization"] = login
        timeout: Any = (cmd.connect_timeout, cmd.read_timeout)
        return self._adapter.send(prepared, timeout=timeout, **route.settings)

    def exchange(self, cmd: Exchange) -> HttpResponse:
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

    def drive(self, flow: Flow, box: list[Any] | None = None) -> Generator[Any, None, None]:
        """Carry out a flow's commands; yield what it emits. Closes the open body on every
        exit (error, break, generator close)."""
        stream: _Stream | None = None
        url = ""
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
                    yield from cmd.items
                    if cmd.then_read is None:
                        continue
                    cmd, kind = cmd.then_read, Read
                try:
                    if kind is Read:
                        value = stream.read(cmd.timeout)  # type: ignore[union-attr]
                    elif kind is Open:
                        url = cmd.request.url
                        value, stream = self.open(cmd)
                    elif kind is Exchange:
                        url = cmd.request.url
                        value = self.exchange(cmd)
                    elif kind is Close:
                        stream.close(cmd.reuse)  # type: ignore[union-attr]
                        stream = None
                    elif kind is Sleep:
                        time.sleep(cmd.seconds)
                    elif kind is Acquire:
                        value = cmd.slots.wait(cmd.timeout)
                except Exception as exc:
                    if stream is not None:
                        stream.close(reuse=False)
                        stream = None
                    error = detached(typed_error(exc, url, getattr(cmd, "connect_timeout",
                                                                   None), kind is Read))
        except LocalLLMError as exc:
            self._credentials.scrub(exc)  # also what a server echoed back
            raise
        finally:
            if stream is not None:
                stream.close(reuse=False)
            flow.close()

    def run(self, flow: Flow) -> Any:
        box: list[Any] = []
        for _ in self.drive(flow, box):
            raise AssertionError("a request/response flow emitted deltas")
        return box[0]


def one_exchange(request: HttpRequest, connect: float, read: float) -> HttpResponse:
    """One blocking request on a transport of its own, for start-up checks, discovery and
    diagnostics: every connection this library opens goes through a transport."""
    from ..flows.commands import exchange

    transport = SyncTransport()
    try:
        return transport.run(exchange(request, connect, read))  # type: ignore[no-any-return]
    finally:
        transport.close()


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
