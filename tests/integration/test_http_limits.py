"""The server outlives abusive clients: idle and slow-header connections, a connection flood
past the descriptor limit, oversized request heads.

Each test starts ``tests.integration.limits_server`` (OneWriteProtocol on uvloop, as both
``strongroom serve`` and ``strongroom-ekm serve`` run it) in a subprocess whose descriptor limit
is 256, and talks to it over raw sockets on 127.0.0.1, with bounded loops and times.
"""

from __future__ import annotations

import contextlib
import json
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.helpers import wait_healthy

HEAD_TIMEOUT = 2.0
FD_LIMIT = 256


@dataclass
class Limited:
    port: int
    pid: int


def _low_descriptor_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


@contextlib.contextmanager
def limited_server(max_connections: int = 0) -> Iterator[Limited]:
    args = [sys.executable, "-m", "tests.integration.limits_server", str(HEAD_TIMEOUT)]
    process = subprocess.Popen(
        [*args, str(max_connections)],
        stdout=subprocess.PIPE,
        preexec_fn=_low_descriptor_limit,  # no threads are started before
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        wait_healthy(f"http://127.0.0.1:{port}", timeout=20)
        yield Limited(port, process.pid)
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def server() -> Iterator[Limited]:
    with limited_server() as running:
        yield running


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def request(port: int, head: bytes, timeout: float = 5.0) -> bytes:
    """Send ``head`` on a new connection and read the answer until the server closes."""
    with connect(port) as conn:
        conn.settimeout(timeout)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(head)
        return read_all(conn)


def read_all(conn: socket.socket) -> bytes:
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := conn.recv(65536):
            received += chunk
    return received


def healthz(port: int) -> bytes:
    return request(port, b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")


def closed_by_server(conn: socket.socket, within: float) -> bool:
    conn.settimeout(within)
    try:
        return read_all(conn) == b""
    except TimeoutError:
        return False


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_more_idle_connections_than_descriptors_do_not_starve_healthz(server: Limited) -> None:
    idle = [connect(server.port) for _ in range(FD_LIMIT + 44)]
    try:
        started = time.monotonic()
        answer = healthz(server.port)
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer[:200]
        assert time.monotonic() - started < HEAD_TIMEOUT
        # every idle one is closed: the oldest to make room, the rest after the head timeout
        deadline = time.monotonic() + HEAD_TIMEOUT + 3
        for conn in idle:
            assert closed_by_server(conn, max(0.1, deadline - time.monotonic()))
    finally:
        for conn in idle:
            conn.close()
    assert healthz(server.port).startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_silent_connection_is_closed_after_the_head_timeout(server: Limited) -> None:
    with connect(server.port) as conn:
        started = time.monotonic()
        assert closed_by_server(conn, HEAD_TIMEOUT + 3)
        assert time.monotonic() - started >= HEAD_TIMEOUT - 0.5


def test_a_slow_headers_client_is_closed(server: Limited) -> None:
    with connect(server.port) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
        started = time.monotonic()
        closed = False
        for n in range(int((HEAD_TIMEOUT + 3) / 0.25)):  # a header byte every 0.25 s
            try:
                conn.sendall(b"x-slow-%d: 1\r\n" % n)
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if closed_by_server(conn, 0.25):
                closed = True
                break
        assert closed
        assert time.monotonic() - started < HEAD_TIMEOUT + 3


def test_a_kept_alive_connection_is_closed_when_idle(server: Limited) -> None:
    with connect(server.port) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        assert conn.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")
        assert closed_by_server(conn, 2 + 2)  # timeout_keep_alive=2 in limits_server


@pytest.mark.parametrize("size", [200 * 1024, 16 * 1024 * 1024])
def test_an_oversized_header_is_refused_with_431(server: Limited, size: int) -> None:
    head = b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * size + b"\r\n\r\n"
    answer = request(server.port, head)
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer[:200]
    assert b"connection: close\r\n" in answer
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert body["code"] == "RequestHeaderFieldsTooLarge"


def test_an_oversized_request_line_is_refused_with_431(server: Limited) -> None:
    head = b"GET /healthz?" + b"q" * (130 * 1024) + b" HTTP/1.1\r\nhost: x\r\n\r\n"
    assert request(server.port, head).startswith(b"HTTP/1.1 431 ")


def test_many_headers_over_the_limit_in_total_are_refused(server: Limited) -> None:
    headers = b"".join(b"x-h%d: %s\r\n" % (n, b"v" * 1000) for n in range(140))
    head = b"GET /healthz HTTP/1.1\r\nhost: x\r\n" + headers + b"\r\n"
    assert request(server.port, head).startswith(b"HTTP/1.1 431 ")


def test_a_100_kib_query_string_still_works(server: Limited) -> None:
    """The Alibaba SDKs send a 32 KB key policy percent-encoded in the query string."""
    query = b"policy=" + b"%7B" * (100 * 1024 // 3)
    head = b"GET /healthz?" + query + b" HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    answer = request(server.port, head)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer[:200]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1]) == {"query": len(query)}


def test_large_heads_leave_memory_bounded(server: Limited) -> None:
    for _ in range(2):  # warm up
        request(server.port, b"GET / HTTP/1.1\r\nx-big: " + b"a" * (1 << 20) + b"\r\n\r\n")
    before = rss_kib(server.pid)
    conns = [connect(server.port) for _ in range(8)]
    refused = 0
    try:
        for conn in conns:
            conn.sendall(b"GET / HTTP/1.1\r\nhost: x\r\nx-big: ")
        for conn in conns:  # 8 parallel heads of up to 64 MiB, 1 MiB at a time
            for _ in range(64):
                try:
                    conn.sendall(b"a" * (1 << 20))
                except OSError:
                    break
            refused += read_all(conn).startswith(b"HTTP/1.1 431 ")
        grown = rss_kib(server.pid) - before
    finally:
        for conn in conns:
            conn.close()
    assert refused == 8
    assert grown < 8 * 1024, f"the server grew by {grown} KiB"


def test_at_the_cap_with_none_idle_a_new_connection_gets_503() -> None:
    with limited_server(max_connections=4) as small:
        busy = [connect(small.port) for _ in range(4)]
        try:
            for conn in busy:  # heads in progress: not idle, so not closed to make room
                conn.sendall(b"GET /healthz HTTP/1.1\r\n")
            time.sleep(0.2)
            answer = request(small.port, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), answer[:200]
            body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
            assert body["code"] == "ServiceUnavailable"
        finally:
            for conn in busy:
                conn.close()
        time.sleep(0.3)
        assert healthz(small.port).startswith(b"HTTP/1.1 200 OK\r\n")
