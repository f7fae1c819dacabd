"""A lean HTTP/1.1 keep-alive transport for ``httpx.AsyncClient``, for one EKM origin.

httpx's default transport (httpcore over anyio and h11) spends about ten times the CPU of the
exchange itself per request (two socket writes, pool scans, several context managers), which
caps a Strongroom process far below the 1,800 EKM calls/s it must sustain. EKM calls are small
JSON requests with bodies in hand, so this transport writes each request with one ``write``
and reads the answer from asyncio streams into httptools' ``HttpResponseParser`` (llhttp, the
C parser uvicorn uses): it frames the answer (Content-Length, chunked, or read-to-close, which
ends at EOF) and decides keep-alive; this module adds only limits (64 KiB of head, 4 MiB of
body), skips 1xx answers, and refuses HTTP versions other than 1.0 and 1.1. Idle connections
are reused newest first, and ones the server closed while idle are dropped before use. A
connection is not reused when its answer asked to close, ran to EOF, or was followed by more
bytes in the same read (the server is out of step). Answers to HEAD end at their head, and their
connection is closed (httptools cannot be told that no body follows). Faults are raised as the
httpx exceptions httpx's own transport raises (ConnectError, ReadError, WriteError,
RemoteProtocolError, timeouts), the TLS, OS or parser error chained as the cause.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httptools
import httpx

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 4 * 1024 * 1024
# Servers close idle keep-alive connections (uvicorn after 5 s); a request sent as they do fails
# with no answer, and only reads are retried. Reconnect before that instead.
IDLE_SECONDS = 4.0
_READ_SIZE = 64 * 1024
_VERSIONS = {"1.1": b"HTTP/1.1", "1.0": b"HTTP/1.0"}
_NOT_HTTP = "the answer is not valid HTTP/1.1"
_INCOMPLETE = "the server closed the connection without a complete answer"


class _Connection:
    """One TCP (or TLS) connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()

    def usable(self) -> bool:
        """Still open, not closed by the server while idle, not idle for too long."""
        return (
            not self.writer.is_closing()
            and not self.reader.at_eof()
            and time.monotonic() - self.idle_since < IDLE_SECONDS
        )

    def close(self) -> None:
        self.writer.close()


class LeanTransport(httpx.AsyncBaseTransport):
    """Keep-alive HTTP/1.1 to the one origin of ``host``/``port``; TLS when ``tls`` is given.

    At most ``max_connections`` are open at once; callers beyond that wait for one.
    """

    def __init__(
        self,
        host: str,
        port: int,
        tls: ssl.SSLContext | None,
        max_connections: int = 64,
    ) -> None:
        self._host, self._port, self._tls = host, port, tls
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(max_connections)
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on a pooled connection and read the whole answer."""
        timeouts = request.extensions.get("timeout", {})
        budget = max((v for v in timeouts.values() if v is not None), default=None)
        with _timeouts_as_httpx(request):
            async with asyncio.timeout(budget), self._slots:
                connection = self._reuse() or await self._connect(request)
                done = False
                try:
                    response, reusable = await _exchange(connection, request)
                    done = True
                finally:
                    if not done:
                        connection.close()
        if reusable and not self._closed:
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()
        return response

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

    async def _connect(self, request: httpx.Request) -> _Connection:
        try:
            reader, writer = await asyncio.open_connection(
                self._host,
                self._port,
                ssl=self._tls,
                server_hostname=self._host if self._tls is not None else None,
            )
        except (OSError, ssl.SSLError) as error:
            raise httpx.ConnectError(str(error) or type(error).__name__, request=request) from error
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Connection(reader, writer)


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


async def _exchange(connection: _Connection, request: httpx.Request) -> tuple[httpx.Response, bool]:
    """Send ``request``; the answer, and whether the connection may carry another request."""
    body = request.content
    try:
        connection.writer.write(_head(request) + body)
        await connection.writer.drain()
    except OSError as error:
        raise httpx.WriteError(str(error) or type(error).__name__, request=request) from error
    try:
        return await _read_response(connection.reader, request)
    except OSError as error:
        raise httpx.ReadError(str(error) or type(error).__name__, request=request) from error


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

    def feed(self, data: bytes, request: httpx.Request) -> None:
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


async def _read_response(
    reader: asyncio.StreamReader, request: httpx.Request
) -> tuple[httpx.Response, bool]:
    answer = _Answer(skip_body=request.method == "HEAD")
    fed = 0
    try:
        while not answer.complete:
            data = await reader.read(_READ_SIZE)
            if not data:
                if not answer.close_delimited():
                    raise httpx.RemoteProtocolError(_INCOMPLETE, request=request)
                answer.complete = True  # keep_alive stays False: the server closed
                break
            answer.feed(data, request)
            if not answer.headers_done:
                fed += len(data)
                if fed > MAX_HEAD_BYTES:
                    message = "the answer's head is too large"
                    raise httpx.RemoteProtocolError(message, request=request)
    finally:
        del answer.parser  # the parser holds the callbacks: free both now, not in a GC pass
    response = httpx.Response(
        answer.status,
        headers=answer.headers,
        content=b"".join(answer.body),
        extensions={"http_version": answer.version, "reason_phrase": answer.reason},
        request=request,
    )
    return response, answer.keep_alive
