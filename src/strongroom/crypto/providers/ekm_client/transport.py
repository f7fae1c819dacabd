"""A lean HTTP/1.1 keep-alive transport for ``httpx.AsyncClient``, for one EKM origin.

httpx's default transport (httpcore over anyio and h11) spends about ten times the CPU of the
exchange itself per request (two socket writes, pool scans, several context managers), which
caps a Strongroom process far below the 1,800 EKM calls/s it must sustain. EKM calls are small
JSON requests with bodies in hand, so this transport writes each request with one ``write``
and parses the answer as its bytes arrive, in the connection's ``asyncio.Protocol``, with
httptools' ``HttpResponseParser`` (llhttp, the C parser uvicorn uses); the waiting request is
woken once, when the answer is complete (asyncio streams cost twice the CPU of the exchange:
a coroutine, a future and a buffer copy per read). The parser frames the answer
(Content-Length, chunked, or read-to-close, which ends at EOF) and decides keep-alive; this
module adds only limits (64 KiB of head, 4 MiB of body), skips 1xx answers, and refuses HTTP
versions other than 1.0 and 1.1. Idle connections are reused newest first, and ones the server
closed (or sent anything on) while idle are dropped before use. A connection is not reused
when its answer asked to close, ran to EOF, or was followed by more bytes in the same read
(the server is out of step). Answers to HEAD end at their head, and their connection is
closed (httptools cannot be told that no body follows). Faults are raised as the httpx
exceptions httpx's own transport raises (ConnectError, ReadError, WriteError,
RemoteProtocolError, timeouts), the TLS, OS or parser error chained as the cause.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import cast

import httptools
import httpx

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 4 * 1024 * 1024
# Servers close idle keep-alive connections (uvicorn after 5 s); a request sent as they do fails
# with no answer, and only reads are retried. Reconnect before that instead.
IDLE_SECONDS = 4.0
_VERSIONS = {"1.1": b"HTTP/1.1", "1.0": b"HTTP/1.0"}
_NOT_HTTP = "the answer is not valid HTTP/1.1"
_INCOMPLETE = "the server closed the connection without a complete answer"


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection: at most one exchange at a time, its answer parsed by
    :class:`_Answer` as the bytes arrive and handed over, complete, through a future."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.idle_since = time.monotonic()
        self._ended = False  # EOF or connection lost: nothing more can be read
        self._answer: _Answer | None = None
        self._head_bytes = 0
        self._request: httpx.Request | None = None
        self._waiter: asyncio.Future[tuple[Reply, bool]] | None = None

    def usable(self) -> bool:
        """Still open, not closed by the server while idle, not idle for too long."""
        return (
            not self._ended
            and self.transport is not None
            and not self.transport.is_closing()
            and time.monotonic() - self.idle_since < IDLE_SECONDS
        )

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def send(
        self, data: bytes, head_only: bool, request: httpx.Request | None
    ) -> asyncio.Future[tuple[Reply, bool]]:
        """Write a request; the future gets its answer and whether the connection may carry
        another request, or the httpx fault."""
        transport = self.transport
        if transport is None or transport.is_closing() or self._ended:
            raise httpx.WriteError("the connection is closed", request=request)
        waiter = asyncio.get_running_loop().create_future()
        self._answer, self._head_bytes = _Answer(skip_body=head_only), 0
        self._request, self._waiter = request, waiter
        try:
            transport.write(data)
        except (OSError, RuntimeError) as error:
            self._answer = self._waiter = None
            raise httpx.WriteError(str(error) or type(error).__name__, request=request) from error
        return waiter

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        answer = self._answer
        if answer is None:  # bytes nobody asked for: the server is out of step
            self._ended = True
            self.close()
            return
        try:
            answer.feed(data, self._request)
            if not answer.headers_done:
                self._head_bytes += len(data)
                if self._head_bytes > MAX_HEAD_BYTES:
                    message = "the answer's head is too large"
                    raise httpx.RemoteProtocolError(message, request=self._request)
        except httpx.RemoteProtocolError as error:
            self._fail(error)
            self.close()
            return
        if answer.complete:
            self._finish(answer)

    def eof_received(self) -> bool:
        self._ended_cleanly()
        return False  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is None:
            self._ended_cleanly()
            return
        self._ended = True
        if self._answer is not None:
            error = httpx.ReadError(str(exc) or type(exc).__name__, request=self._request)
            error.__cause__ = exc
            self._fail(error)

    def _ended_cleanly(self) -> None:
        self._ended = True
        answer = self._answer
        if answer is None:
            return
        if answer.close_delimited():
            answer.complete = True  # keep_alive stays False: the server closed
            self._finish(answer)
        else:
            self._fail(httpx.RemoteProtocolError(_INCOMPLETE, request=self._request))

    def _finish(self, answer: _Answer) -> None:
        waiter = self._end_exchange()
        body = answer.body
        content = body[0] if len(body) == 1 else b"".join(body)
        reply = Reply(answer.status, answer.headers, content, answer.version, answer.reason)
        if waiter is not None and not waiter.done():
            waiter.set_result((reply, answer.keep_alive))

    def _fail(self, error: httpx.HTTPError) -> None:
        waiter = self._end_exchange()
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def _end_exchange(self) -> asyncio.Future[tuple[Reply, bool]] | None:
        """Forget the exchange in progress; its waiter, to be settled by the caller."""
        waiter, answer = self._waiter, self._answer
        self._answer = self._waiter = self._request = None
        if answer is not None:
            del answer.parser  # the parser holds the callbacks: free both now, not in a GC pass
        return waiter


class Reply:
    """A complete answer: what EKM callers read of an ``httpx.Response``, without building one.

    ``headers`` are (name, value) pairs as received; ``http_version`` is b"HTTP/1.1" or
    b"HTTP/1.0".
    """

    __slots__ = ("content", "headers", "http_version", "reason", "status_code")

    def __init__(
        self,
        status_code: int,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
        http_version: bytes,
        reason: bytes,
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.http_version = http_version
        self.reason = reason


class LeanTransport(httpx.AsyncBaseTransport):
    """Keep-alive HTTP/1.1 to the one origin of ``host``/``port``; TLS when ``tls`` is given,
    checking the certificate against ``server_hostname`` (default: ``host``), which is also
    the name sent in SNI: the origin's host name when ``host`` is an address dialled for it.

    At most ``max_connections`` are open at once; callers beyond that wait for one.
    """

    def __init__(
        self,
        host: str,
        port: int,
        tls: ssl.SSLContext | None,
        max_connections: int = 64,
        server_hostname: str | None = None,
    ) -> None:
        self._host, self._port, self._tls = host, port, tls
        self._server_hostname = server_hostname or host
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(max_connections)
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on a pooled connection and read the whole answer, within the
        request's timeouts (their largest value bounds the whole exchange)."""
        timeouts = request.extensions.get("timeout", {})
        budget = max((v for v in timeouts.values() if v is not None), default=None)
        with _timeouts_as_httpx(request):
            async with asyncio.timeout(budget):
                reply = await self.exchange(
                    _head(request), request.content, request.method == "HEAD", request
                )
        return httpx.Response(
            reply.status_code,
            headers=reply.headers,
            content=reply.content,
            extensions={"http_version": reply.http_version, "reason_phrase": reply.reason},
            request=request,
        )

    async def exchange(
        self,
        head: bytes,
        body: bytes,
        head_only: bool = False,
        request: httpx.Request | None = None,
    ) -> Reply:
        """Send a request already serialized (``head`` ends with the blank line) on a pooled
        connection and read the whole answer; ``head_only`` for answers to HEAD.

        The lower half of :meth:`handle_async_request`, for callers that build the bytes
        themselves: it has no timer of its own (the caller bounds it). Faults are the httpx
        exceptions, naming ``request`` when given.
        """
        async with self._slots:
            connection = self._reuse() or await self._connect(request)
            done = False
            try:
                reply, reusable = await connection.send(head + body, head_only, request)
                done = True
            finally:
                if not done:
                    connection.close()
        if reusable and not self._closed:
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()
        return reply

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _reuse(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if connection.usable():
                return connection
            connection.close()
        return None

    async def _connect(self, request: httpx.Request | None) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            transport, connection = await loop.create_connection(
                _Connection,
                self._host,
                self._port,
                ssl=self._tls,
                server_hostname=self._server_hostname if self._tls is not None else None,
            )
        except (OSError, ssl.SSLError) as error:
            raise httpx.ConnectError(str(error) or type(error).__name__, request=request) from error
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection


@contextmanager
def _timeouts_as_httpx(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except TimeoutError:
        raise httpx.ReadTimeout("the EKM did not answer in time", request=request) from None


def _head(request: httpx.Request) -> bytes:
    target = request.url.raw_path
    lines = [request.method.encode("ascii"), b" ", target, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        lines += (name, b": ", value, b"\r\n")
    lines.append(b"\r\n")
    return b"".join(lines)


class _BadAnswer(Exception):
    """Raised in a parser callback: the answer breaks a limit or is not HTTP/1.x."""


class _Stop(Exception):
    """Raised in a parser callback to stop parsing: the final answer is already complete."""


class _Answer:
    """httptools' callbacks for one exchange; keeps the final (non-1xx) answer's parts."""

    __slots__ = (
        "body",
        "body_size",
        "complete",
        "head_size",
        "headers",
        "headers_done",
        "keep_alive",
        "parser",
        "reason",
        "skip_body",
        "status",
        "version",
    )

    def __init__(self, skip_body: bool) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.skip_body = skip_body
        self.status = 0
        self.version = b""
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_size = 0
        self.headers_done = False
        self.body: list[bytes] = []
        self.body_size = 0
        self.complete = False
        self.keep_alive = False

    def feed(self, data: bytes, request: httpx.Request | None) -> None:
        """Parse ``data``; the callbacks below collect the answer."""
        try:
            self.parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as error:
            if self.complete:  # bytes after the answer, or after its "Connection: close"
                self.keep_alive = False
                return
            cause = error.__context__
            message = str(cause) if isinstance(cause, _BadAnswer) else _NOT_HTTP
            raise httpx.RemoteProtocolError(message, request=request) from error

    def on_message_begin(self) -> None:
        if self.complete:  # bytes after the answer: the server is out of step
            self.keep_alive = False
            raise _Stop
        if self.headers_done:  # the previous message was a 1xx answer: start afresh
            self.reason, self.headers, self.headers_done = b"", [], False

    def on_status(self, reason: bytes) -> None:
        self.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_size += len(name) + len(value) + 4
        if self.head_size > MAX_HEAD_BYTES:
            raise _BadAnswer("the answer's head is too large")
        self.headers.append((name, value.rstrip(b" \t")))

    def on_headers_complete(self) -> None:
        parser = self.parser
        self.status = status = parser.get_status_code()
        version = _VERSIONS.get(parser.get_http_version())
        if version is None or not 100 <= status <= 599:
            raise _BadAnswer(_NOT_HTTP)
        self.version = version
        self.headers_done = True
        if self.skip_body and status >= 200:
            self.complete = True  # keep_alive stays False: what follows is not ours to parse
            raise _Stop

    def on_body(self, chunk: bytes) -> None:
        self.body_size += len(chunk)
        if self.body_size > MAX_BODY_BYTES:
            raise _BadAnswer("the answer's body is too large")
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        if self.status >= 200:
            self.complete = True
            self.keep_alive = self.parser.should_keep_alive()

    def close_delimited(self) -> bool:
        """The final answer's head is complete and its body runs to the end of the stream."""
        if not self.headers_done or self.status < 200 or self.status in (204, 304):
            return False
        for name, value in self.headers:
            lowered = name.lower()
            if lowered == b"content-length" or (
                lowered == b"transfer-encoding" and b"chunked" in value.lower()
            ):
                return False
        return True


def request_head(
    method: bytes, path: bytes, host: bytes, headers: bytes, length: int | None
) -> bytes:
    """The head of a request as ``httpx.Request`` would send it: the request line, Host,
    ``headers`` (from :func:`encode_headers`), then Content-Length when there is a body."""
    sized = b"" if length is None else b"Content-Length: %d\r\n" % length
    return b"%s %s HTTP/1.1\r\nHost: %s\r\n%s%s\r\n" % (method, path, host, headers, sized)


def encode_headers(headers: Iterable[tuple[str, str]]) -> bytes:
    """``name: value`` lines, ASCII as httpx encodes them; a CR or LF in a name or value is
    refused (httpx.LocalProtocolError), so nothing can be smuggled into the head."""
    lines = [f"{name}: {value}\r\n" for name, value in headers]
    block = "".join(lines)
    if block.count("\n") != len(lines) or block.count("\r") != len(lines):
        raise httpx.LocalProtocolError("a request header contains a line break")
    return block.encode("ascii")
