"""The lean HTTP/1.1 transport against a scripted loopback server: framing (length, chunked,
read-to-close), keep-alive reuse, connections the server closed, malformed answers; on
asyncio's own event loop and on uvloop (what Strongroom serves on)."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from strongroom.crypto.providers.ekm_client.transport import (
    LeanTransport,
    _head,
    encode_headers,
    request_head,
)

pytestmark = pytest.mark.anyio
Script = Callable[[bytes], bytes | None]  # request head+body -> raw answer (None: hang up)


@pytest.fixture(
    params=[pytest.param({}, id="asyncio"), pytest.param({"use_uvloop": True}, id="uvloop")]
)
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, bool]]:
    return "asyncio", request.param


class Server:
    """Accepts connections and answers each request with the script's bytes."""

    def __init__(self, script: Script, close_after: bool = False) -> None:
        self.script = script
        self.close_after = close_after
        self.connections = 0
        self.requests: list[bytes] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.transports: list[LeanTransport] = []

    def lean(self, port: int, max_connections: int = 64) -> LeanTransport:
        """A client transport to this server, closed with it."""
        transport = LeanTransport("127.0.0.1", port, None, max_connections)
        self.transports.append(transport)
        return transport

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                answer = self.script(request)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


@asynccontextmanager
async def serving(script: Script, close_after: bool = False) -> AsyncIterator[tuple[Server, int]]:
    server = Server(script, close_after)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield server, port
    finally:
        for transport in server.transports:
            await transport.aclose()
        for writer in server.writers:
            writer.close()
        listener.close()


def ok(body: bytes = b'{"a": 1}', extra: bytes = b"") -> Script:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra
    return lambda request: head + b"Content-Length: %d\r\n\r\n" % len(body) + body


async def _post(port: int, transport: LeanTransport, body: bytes = b"{}") -> httpx.Response:
    async with asyncio.timeout(2):
        client = httpx.AsyncClient(transport=transport)
        request = httpx.Request(
            "POST",
            f"http://127.0.0.1:{port}/keys/k%2F1/encrypt",
            content=body,
            headers={"authorization": "Bearer t"},
            extensions={"timeout": httpx.Timeout(1.0).as_dict()},
        )
        return await client.send(request)


async def test_a_request_is_one_well_formed_write_and_connections_are_reused() -> None:
    async with serving(ok()) as (server, port):
        transport = server.lean(port)
        for _ in range(3):
            response = await _post(port, transport, b'{"x": 1}')
            assert (response.status_code, response.json()) == (200, {"a": 1})
        assert server.connections == 1
        head, _, body = server.requests[0].partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        assert lines[0] == b"POST /keys/k%2F1/encrypt HTTP/1.1"
        assert b"host: 127.0.0.1:%d" % port in [line.lower() for line in lines]
        assert b"content-length: 8" in [line.lower() for line in lines]
        assert body == b'{"x": 1}'
        await transport.aclose()


async def test_concurrent_requests_use_several_connections_up_to_the_limit() -> None:
    async with serving(ok()) as (server, port):
        transport = server.lean(port, max_connections=3)
        responses = await asyncio.gather(*(_post(port, transport) for _ in range(10)))
        assert all(r.status_code == 200 for r in responses)
        assert 1 <= server.connections <= 3


async def test_chunked_and_close_delimited_bodies() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;ext=1\r\n{"a"\r\n5\r\n: 12}\r\n0\r\nX-Trailer: 1\r\n\r\n'
    )
    async with serving(lambda r: chunked) as (server, port):
        transport = server.lean(port)
        assert (await _post(port, transport)).json() == {"a": 12}
        assert (await _post(port, transport)).json() == {"a": 12}
        assert server.connections == 1
    unframed = b'HTTP/1.1 200 OK\r\n\r\n{"b": 2}'
    async with serving(lambda r: unframed, close_after=True) as (server, port):
        transport = server.lean(port)
        assert (await _post(port, transport)).json() == {"b": 2}
        assert (await _post(port, transport)).json() == {"b": 2}
        assert server.connections == 2


async def test_informational_answers_are_skipped() -> None:
    answer = b"HTTP/1.1 100 Continue\r\n\r\n" + ok()(b"")  # type: ignore[operator]
    async with serving(lambda r: answer) as (server, port):
        assert (await _post(port, server.lean(port))).status_code == 200


async def test_connection_close_is_honoured_and_a_server_side_close_is_noticed() -> None:
    async with serving(ok(extra=b"Connection: close\r\n"), close_after=True) as (server, port):
        transport = server.lean(port)
        await _post(port, transport)
        await _post(port, transport)
        assert server.connections == 2
    async with serving(ok(), close_after=True) as (server, port):
        transport = server.lean(port)
        await _post(port, transport)
        await asyncio.sleep(0.05)  # the server's FIN arrives while the connection is idle
        assert (await _post(port, transport)).status_code == 200
        assert server.connections == 2


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", httpx.RemoteProtocolError),
        (b"garbage\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 abc OK\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\n bad: fold\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", httpx.RemoteProtocolError),
        (None, httpx.RemoteProtocolError),
    ],
)
async def test_malformed_answers_are_protocol_errors(
    answer: bytes | None, error: type[Exception]
) -> None:
    async with serving(lambda r: answer, close_after=True) as (server, port):
        with pytest.raises(error):
            await _post(port, server.lean(port))


async def test_a_silent_server_times_out_and_the_connection_is_dropped() -> None:
    def never(request: bytes) -> bytes:
        return b""  # answers nothing; the client must give up

    async with serving(never) as (server, port):
        transport = server.lean(port)
        client = httpx.AsyncClient(transport=transport)
        request = httpx.Request(
            "GET", f"http://127.0.0.1:{port}/x", extensions={"timeout": {"read": 0.1}}
        )
        with pytest.raises(httpx.ReadTimeout):
            await client.send(request)
        assert transport._idle == []


async def test_refused_connections_are_connect_errors() -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    with pytest.raises(httpx.ConnectError) as caught:
        await _post(port, LeanTransport("127.0.0.1", port, None))
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


def test_request_heads_are_what_httpx_would_send() -> None:
    url = httpx.URL("https://ekm.test:8443/v1/keys/k%2F1/encrypt?a=1")
    headers = {"accept": "application/json", "Authorization": "Bearer t"}
    body = b'{"x": 1}'
    built = request_head(b"POST", url.raw_path, url.netloc, encode_headers(headers.items()), 8)
    assert built == _head(httpx.Request("POST", url, headers=headers, content=body))
    got = request_head(b"GET", url.raw_path, url.netloc, encode_headers(headers.items()), None)
    assert got == _head(httpx.Request("GET", url, headers=headers))


@pytest.mark.parametrize(
    "headers",
    [{"authorization": "Bearer t\r\nX-Evil: 1"}, {"a": "b\nc"}, {"a": "b\rc"}, {"a\r\nb": "c"}],
)
def test_line_breaks_in_headers_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(httpx.LocalProtocolError):
        encode_headers(headers.items())


async def test_exchange_sends_prepared_bytes_on_pooled_connections() -> None:
    async with serving(ok()) as (server, port):
        transport = server.lean(port)
        head = request_head(b"POST", b"/x", b"127.0.0.1", b"a: b\r\n", 2)
        for _ in range(2):
            reply = await transport.exchange(head, b"{}")
            assert (reply.status_code, reply.content) == (200, b'{"a": 1}')
            assert (reply.http_version, reply.reason) == (b"HTTP/1.1", b"OK")
        assert server.connections == 1
        assert server.requests[0] == head + b"{}"


async def test_bytes_sent_on_an_idle_connection_retire_it() -> None:
    """A server out of step (an answer nobody asked for) gets a fresh connection next time."""
    async with serving(ok()) as (server, port):
        transport = server.lean(port)
        await _post(port, transport)
        server.writers[0].write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await asyncio.sleep(0.05)
        assert (await _post(port, transport)).json() == {"a": 1}
        assert server.connections == 2


async def test_a_connection_reset_mid_answer_is_a_read_error_naming_the_cause() -> None:
    def reset(request: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"

    async with serving(reset) as (server, port):
        transport = server.lean(port)
        task = asyncio.create_task(_post(port, transport))
        while not server.writers:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        sock = server.writers[0].get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        server.writers[0].transport.abort()
        with pytest.raises(httpx.ReadError) as caught:
            await task
        assert isinstance(caught.value.__cause__, ConnectionResetError)
        assert transport._idle == []


async def test_head_answers_end_at_their_head_and_close_the_connection() -> None:
    async with serving(ok()) as (server, port):
        transport = server.lean(port)
        head = request_head(b"HEAD", b"/x", b"127.0.0.1", b"", None)
        reply = await transport.exchange(head, b"", head_only=True)
        assert (reply.status_code, reply.content) == (200, b"")
        assert transport._idle == []
