"""Asyncio transport on ``aiohttp``: one ClientSession per running event loop.

A session is bound to the loop it was made on; reusing it from the next ``asyncio.run()``
fails with "Event loop is closed". Each loop gets its own session, closed when that loop
shuts down (through an async-generator finaliser that ``asyncio.run`` always runs).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp.http_exceptions import ContentEncodingError

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
from ..http import HttpResponse
from ..secrets import Credentials
from .alarm import Alarm
from .body import BoundedBody
from .errors import broken_read, connect_timeout, detached, unreachable, unreadable_http

# aiohttp 3.10 added ConnectionTimeoutError; before it a connect timeout is a
# ServerTimeoutError raised while connecting.
_CONNECT_TIMEOUT = getattr(aiohttp, "ConnectionTimeoutError", aiohttp.ServerTimeoutError)


def typed_error(exc: Exception, url: str, connect: float | None, reading: bool
                ) -> BaseException:
    """This transport's exception table: what aiohttp and asyncio raise, as the typed
    error (or ``ReadTimedOut``) a flow understands."""
    if isinstance(exc, _CONNECT_TIMEOUT) and not reading:
        return connect_timeout(url, connect)
    if isinstance(exc, asyncio.TimeoutError):
        return ReadTimedOut()
    if isinstance(exc, aiohttp.ClientPayloadError):
        if isinstance(exc.__cause__, ContentEncodingError):  # not a broken connection
            return unreadable_http(exc.__cause__.message, url)
        return broken_read(type(exc).__name__)
    if isinstance(exc, aiohttp.ClientResponseError) and not reading:
        return unreadable_http(exc.message, url)  # the answer is not parseable HTTP
    if isinstance(exc, (aiohttp.ClientError, ConnectionError)):
        if reading:
            return broken_read(type(exc).__name__)
        reason = f"{type(exc).__name__}: {getattr(exc, 'strerror', None) or ''}"
        return unreachable(url, reason.rstrip(": "))
    return exc  # already typed, or a bug: not ours to rename


async def _keeper(session: aiohttp.ClientSession) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await session.close()


class _Stream:
    __slots__ = ("response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def read(self, timeout: float | None, alarm: Alarm) -> bytes:
        content = self.response.content
        data = content.read_nowait()  # what already arrived needs no timer (most reads of
        if data or content.at_eof():  # a fast stream): all of it, in one piece
            return data
        if timeout is None:
            return await content.readany()
        try:
            return await alarm.wait(timeout, content.readany())
        except asyncio.TimeoutError:
            rejected = _rejected_body(self.response)
            if rejected is not None:
                raise broken_read(f"the answer's framing is broken ({rejected})",
                                  hint="The server or a proxy sent a malformed body.") from None
            raise

    def close(self, reuse: bool) -> None:
        if reuse:
            self.response.release()
        else:
            self.response.close()


def _rejected_body(response: aiohttp.ClientResponse) -> str | None:
    """Why aiohttp's parser gave up on the body, if it did. Its C parser drops the
    connection on broken chunked framing without waking a reader, so a wait that timed out
    may really be a broken answer: that is the error to report, not a stall."""
    conn = response.connection
    exc = conn.protocol.exception() if conn is not None and conn.protocol is not None \
        else None
    if exc is None:
        return None
    return str(getattr(exc, "message", "") or type(exc).__name__)[:120]


class AsyncTransport:
    def __init__(self, credentials: Credentials | None = None, pool_size: int = 0) -> None:
        self._credentials = credentials or Credentials()
        self._headers = {**self._credentials.headers(), "User-Agent": "localllm"}
        self._pool_size = pool_size
        self._sessions: dict[asyncio.AbstractEventLoop, tuple[aiohttp.ClientSession, Any]] = {}
        self._client_timeouts: dict[float | None, aiohttp.ClientTimeout] = {}
        self.closed = False

    def _live_session(self) -> aiohttp.ClientSession | None:
        entry = self._sessions.get(asyncio.get_running_loop())
        return entry[0] if entry is not None and not entry[0].closed else None

    async def _new_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        for old in [lp for lp in self._sessions if lp.is_closed()]:
            del self._sessions[old]
        session = aiohttp.ClientSession(
            headers=self._headers, timeout=aiohttp.ClientTimeout(total=None),
            connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0))
        keeper = _keeper(session)
        await keeper.__anext__()  # registers it with this loop's async-generator finaliser
        self._sessions[loop] = (session, keeper)
        return session

    async def aclose(self) -> None:
        """Close the session of the running loop; sessions of finished loops are gone."""
        self.closed = True
        entry = self._sessions.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[1].aclose()

    async def _request(self, cmd: Exchange | Open, alarm: Alarm) -> aiohttp.ClientResponse:
        session = self._live_session() or await self._new_session()
        req = cmd.request
        timeout = self._client_timeouts.get(cmd.connect_timeout)
        if timeout is None:
            timeout = self._client_timeouts[cmd.connect_timeout] = aiohttp.ClientTimeout(
                total=None, connect=None, sock_connect=cmd.connect_timeout)
        login = self._credentials.basic_auth_for(req.url)
        headers = req.headers
        if login:
            headers = {**(headers or {}), "Authorization": login}
        return await alarm.wait(cmd.read_timeout, session.request(
            req.method, req.url, json=req.json, timeout=timeout, allow_redirects=False,
            headers=headers))

    async def exchange(self, cmd: Exchange, alarm: Alarm) -> HttpResponse:
        resp = await self._request(cmd, alarm)
        stream = _Stream(resp)
        try:
            body = await _read_bounded(stream, cmd.read_timeout, alarm)
        finally:
            stream.close(reuse=True)
        return HttpResponse(resp.status, resp.headers, body)

    async def open(self, cmd: Open, alarm: Alarm) -> tuple[HttpResponse, _Stream | None]:
        resp = await self._request(cmd, alarm)
        stream = _Stream(resp)
        if 200 <= resp.status < 300:
            return HttpResponse(resp.status, resp.headers), stream
        try:
            body = await _read_bounded(stream, cmd.read_timeout, alarm)
        finally:
            stream.close(reuse=True)
        return HttpResponse(resp.status, resp.headers, body), None

    async def drive(self, flow: Flow, box: list[Any] | None = None,
                    ready: Callable[[], Awaitable[None]] | None = None
                    ) -> AsyncGenerator[Any, None]:
        """Carry out a flow's commands; yield what it emits. Closes the open body on
        every exit (error, break, cancellation). ``ready`` runs before the flow starts.
        One ``Alarm`` times every wait of the flow."""
        stream: _Stream | None = None
        url = ""
        alarm = Alarm()
        value: Any = None
        error: BaseException | None = None
        try:
            if ready is not None:
                await ready()
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
                    for item in cmd.items:
                        yield item
                    if cmd.then_read is None:
                        continue
                    cmd, kind = cmd.then_read, Read
                try:
                    if kind is Read:
                        value = await stream.read(cmd.timeout, alarm)  # type: ignore[union-attr]
                    elif kind is Open:
                        url = cmd.request.url
                        value, stream = await self.open(cmd, alarm)
                    elif kind is Exchange:
                        url = cmd.request.url
                        value = await self.exchange(cmd, alarm)
                    elif kind is Close:
                        stream.close(cmd.reuse)  # type: ignore[union-attr]
                        stream = None
                    elif kind is Sleep:
                        await asyncio.sleep(cmd.seconds)
                    elif kind is Acquire:
                        value = await cmd.slots.wait_async(cmd.timeout)
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
            alarm.close()
            if stream is not None:
                stream.close(reuse=False)
            flow.close()

    async def run(self, flow: Flow) -> Any:
        box: list[Any] = []
        async for _ in self.drive(flow, box):
            raise AssertionError("a request/response flow emitted deltas")
        return box[0]


async def _read_bounded(stream: _Stream, timeout: float | None, alarm: Alarm) -> bytes:
    body = BoundedBody()
    while body.add(await stream.read(timeout, alarm)):
        pass
    return body.bytes()
