"""OneWriteProtocol: uvicorn's protocol with each response's head and body in one write.

Unit cases count the writes on a recording transport; the rest drive a real uvicorn server
over raw sockets, so every path uvicorn takes (HEAD, chunked, 100 Continue, pipelining, an
application that fails mid-response, a connection closed after the answer) is checked byte
for byte.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from strongroom.http_protocol import OneWriteProtocol, _HeldHeadTransport
from tests.helpers import wait_healthy

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


class Recorder:
    """A transport that keeps what was written, one entry per write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def held(recorder: Recorder) -> _HeldHeadTransport:
    return _HeldHeadTransport(recorder)  # type: ignore[arg-type]


def test_head_and_body_go_out_in_one_write() -> None:
    recorder = Recorder()
    transport = held(recorder)
    transport.write(HEAD)
    assert recorder.writes == []
    transport.write(b"ok")
    assert recorder.writes == [HEAD + b"ok"]


def test_a_head_without_a_body_is_sent_on_flush_and_on_close() -> None:
    recorder = Recorder()
    transport = held(recorder)
    transport.write(HEAD)
    transport.flush()
    transport.flush()
    assert recorder.writes == [HEAD]
    transport.write(HEAD)
    transport.close()
    assert recorder.writes == [HEAD, HEAD]
    assert recorder.closed


def test_interim_answers_and_other_bytes_are_not_held() -> None:
    recorder = Recorder()
    transport = held(recorder)
    transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    transport.write(b"5\r\nhello\r\n")
    assert recorder.writes == [b"HTTP/1.1 100 Continue\r\n\r\n", b"5\r\nhello\r\n"]


def test_other_attributes_are_the_transport_s() -> None:
    recorder = Recorder()
    assert held(recorder).is_closing() is False


# --------------------------------------------------------------------------- a real server


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path = scope["path"]
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one", b"two"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/fail":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("the application failed after starting its answer")
    reply = body or path.encode()
    headers = [(b"content-length", str(len(reply)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": reply})


class _Counted:
    """A connection's real transport, recording each write (see :class:`CountingProtocol`)."""

    def __init__(self, transport: asyncio.Transport, writes: list[bytes]) -> None:
        self._transport = transport
        self._writes = writes

    def write(self, data: bytes) -> None:
        self._writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CountingProtocol(OneWriteProtocol):
    """OneWriteProtocol over a transport that records every write the connection makes."""

    writes: list[bytes] = []

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_Counted(transport, CountingProtocol.writes))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, loop="asyncio", http=CountingProtocol, log_level="critical", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    number = int(sock.getsockname()[1])
    wait_healthy(f"http://127.0.0.1:{number}")
    yield number
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def exchange(port: int, request: bytes, until: bytes, timeout: float = 5.0) -> bytes:
    """Send ``request`` on a new connection; read until ``until`` has arrived (or EOF)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(request)
        received = b""
        while until not in received:
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


def test_a_plain_answer(port: int) -> None:
    answer = exchange(port, b"GET /hello HTTP/1.1\r\nhost: x\r\n\r\n", b"/hello")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b"\r\n\r\n/hello")


def test_head_answers_with_the_head_alone(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"HEAD /hello HTTP/1.1\r\nhost: x\r\n\r\n")
        head = conn.recv(65536)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert head.endswith(b"\r\n\r\n")
        # The connection is still usable after it.
        conn.sendall(b"GET /again HTTP/1.1\r\nhost: x\r\n\r\n")
        received = b""
        while b"/again" not in received:
            received += conn.recv(65536)


def test_a_chunked_answer(port: int) -> None:
    answer = exchange(port, b"GET /stream HTTP/1.1\r\nhost: x\r\n\r\n", b"0\r\n\r\n")
    assert b"transfer-encoding: chunked\r\n" in answer
    assert answer.endswith(b"\r\n\r\n3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n")


def test_expect_100_continue_is_answered_before_the_body(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(
            b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\nexpect: 100-continue\r\n\r\n"
        )
        interim = conn.recv(65536)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.sendall(b"body")
        received = b""
        while not received.endswith(b"body"):
            received += conn.recv(65536)
        assert received.startswith(b"HTTP/1.1 200 OK\r\n")


def test_pipelined_requests_are_answered_in_order(port: int) -> None:
    requests = b"".join(f"GET /{n} HTTP/1.1\r\nhost: x\r\n\r\n".encode() for n in range(3))
    answer = exchange(port, requests, b"\r\n\r\n/2")
    bodies = [part.split(b"\r\n\r\n")[1] for part in answer.split(b"HTTP/1.1 ")[1:]]
    assert bodies == [b"/0", b"/1", b"/2"]


def test_connection_close_still_delivers_the_answer(port: int) -> None:
    answer = exchange(port, b"GET /bye HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", b"\0")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.endswith(b"\r\n\r\n/bye")


def test_an_application_failing_mid_answer_closes_the_connection(port: int) -> None:
    answer = exchange(port, b"GET /fail HTTP/1.1\r\nhost: x\r\n\r\n", b"\0")
    # What was started is sent (as uvicorn did), then the connection closes: no hang.
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")


def test_one_write_per_answer_on_a_kept_alive_connection(port: int) -> None:
    CountingProtocol.writes.clear()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        for n in range(3):
            conn.sendall(f"GET /n{n} HTTP/1.1\r\nhost: x\r\n\r\n".encode())
            received = b""
            while not received.endswith(f"/n{n}".encode()):
                received += conn.recv(65536)
    writes = CountingProtocol.writes
    assert len(writes) == 3
    assert all(w.startswith(b"HTTP/1.1 200 OK\r\n") for w in writes)
    assert [w.split(b"\r\n\r\n")[1] for w in writes] == [b"/n0", b"/n1", b"/n2"]
