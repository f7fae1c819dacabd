"""A lean HTTP/1.1 keep-alive transport for ``httpx.AsyncClient``, for one EKM origin.

httpx's default transport (httpcore over anyio and h11) spends about ten times the CPU of the
exchange itself per request (two socket writes, pool scans, several context managers), which
caps a Strongroom process far below the 1,800 EKM calls/s it must sustain. EKM calls are small
JSON requests with bodies in hand, so this transport writes each request with one ``write``
and reads the answer with asyncio streams: status line, headers, then a Content-Length,
chunked or read-to-close body. Idle connections are reused newest first; ones the server
closed are dropped before use. Faults are raised as the httpx exceptions httpx's own transport
raises (ConnectError, ReadError, WriteError, RemoteProtocolError, timeouts), the TLS or OS
error chained as the cause.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 4 * 1024 * 1024
# Servers close idle keep-alive connections (uvicorn after 5 s); a request sent as they do fails
# with no answer, and only reads are retried. Reconnect before that instead.
IDLE_SECONDS = 4.0
_READ_LIMIT = MAX_HEAD_BYTES + 1024


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
                    response = await _exchange(connection, request)
                    done = True
                finally:
                    if not done:
                        connection.close()
        if _keeps_alive(response) and not self._closed:
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
                limit=_READ_LIMIT,
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


def _keeps_alive(response: httpx.Response) -> bool:
    headers = response.headers
    framed = "content-length" in headers or "chunked" in headers.get("transfer-encoding", "")
    connection = headers.get("connection", "").lower()
    if response.extensions.get("http_version") == b"HTTP/1.0":
        return framed and "keep-alive" in connection
    return framed and "close" not in connection


def _head(request: httpx.Request) -> bytes:
    target = request.url.raw_path
    lines = [request.method.encode("ascii"), b" ", target, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        lines += (name, b": ", value, b"\r\n")
    lines.append(b"\r\n")
    return b"".join(lines)


async def _exchange(connection: _Connection, request: httpx.Request) -> httpx.Response:
    body = request.content
    try:
        connection.writer.write(_head(request) + body)
        await connection.writer.drain()
    except OSError as error:
        raise httpx.WriteError(str(error) or type(error).__name__, request=request) from error
    try:
        return await _read_response(connection.reader, request)
    except asyncio.IncompleteReadError as error:
        message = "the server closed the connection without a complete answer"
        raise httpx.RemoteProtocolError(message, request=request) from error
    except asyncio.LimitOverrunError as error:
        raise httpx.RemoteProtocolError(
            "the answer's head is too large", request=request
        ) from error
    except (ValueError, IndexError) as error:
        raise httpx.RemoteProtocolError(
            "the answer is not valid HTTP/1.1", request=request
        ) from error
    except OSError as error:
        raise httpx.ReadError(str(error) or type(error).__name__, request=request) from error


async def _read_response(reader: asyncio.StreamReader, request: httpx.Request) -> httpx.Response:
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].split(b"\r\n")
        version, status_text, *reason = status_line.split(b" ", 2)
        status = int(status_text)
        if version not in (b"HTTP/1.1", b"HTTP/1.0") or not 100 <= status <= 599:
            raise ValueError("bad status line")
        if status >= 200:
            break  # 1xx answers are informational: read on
    headers = [_header(line) for line in header_lines]
    response_headers = httpx.Headers(headers)
    content = await _read_body(reader, response_headers, status, request)
    extensions = {"http_version": version, "reason_phrase": reason[0] if reason else b""}
    return httpx.Response(
        status, headers=headers, content=content, extensions=extensions, request=request
    )


def _header(line: bytes) -> tuple[bytes, bytes]:
    name, colon, value = line.partition(b":")
    if not colon or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
        raise ValueError("bad header line")
    return name, value.strip()


async def _read_body(
    reader: asyncio.StreamReader, headers: httpx.Headers, status: int, request: httpx.Request
) -> bytes:
    if status in (204, 304) or request.method == "HEAD":
        return b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return await _read_chunked(reader)
    length = headers.get("content-length")
    if length is not None:
        size = int(length)
        if not 0 <= size <= MAX_BODY_BYTES:
            raise ValueError("bad content length")
        return await reader.readexactly(size)
    body = await reader.read(MAX_BODY_BYTES + 1)
    rest = body
    while rest and len(body) <= MAX_BODY_BYTES:
        rest = await reader.read(MAX_BODY_BYTES + 1 - len(body))
        body += rest
    if len(body) > MAX_BODY_BYTES:
        raise ValueError("body too large")
    return body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailers
            return b"".join(parts)
        total += size
        if total > MAX_BODY_BYTES:
            raise ValueError("body too large")
        parts.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise ValueError("bad chunk")
