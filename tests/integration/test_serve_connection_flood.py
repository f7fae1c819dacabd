"""``strongroom serve`` itself outlives a connection flood past its descriptor limit: more idle
TCP connections than it has descriptors, and /healthz still answers (the protocol's limits are
tested in detail over a bare server in test_http_limits)."""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path

import httpx

from tests.helpers import free_port
from tests.integration import cli_support

DESCRIPTORS = 256
IDLE = 320  # more than the descriptors the server may open


def test_a_flood_of_idle_connections_past_the_descriptor_limit_leaves_the_server_serving(
    tmp_path: Path,
) -> None:
    data_dir, log, port = tmp_path / "data", tmp_path / "serve.log", free_port()
    assert cli_support.run("init", "--data-dir", str(data_dir)).returncode == 0
    url = f"http://127.0.0.1:{port}"
    serve = cli_support.serving(data_dir, log, "--port", str(port), descriptors=DESCRIPTORS)
    with serve as process, contextlib.ExitStack() as idle:
        cli_support.wait_serving(process, url, log)
        flood = [
            idle.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
            for _ in range(IDLE)
        ]
        deadline = time.monotonic() + 10
        answered = 0
        while time.monotonic() < deadline and answered < 5:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    answered += 1
        assert answered == 5, log.read_text()
        assert process.poll() is None
        # Silent connections are closed once the head timeout (5 s) passes.
        assert _closed_by_the_server(flood, within=12.0) == len(flood)
    assert "connections: closing the longest-idle one" in log.read_text()


def _closed_by_the_server(sockets: list[socket.socket], within: float) -> int:
    """How many of ``sockets`` the server closed (EOF or reset) within ``within`` seconds."""
    deadline = time.monotonic() + within
    closed: set[int] = set()
    while time.monotonic() < deadline and len(closed) < len(sockets):
        for index, sock in enumerate(sockets):
            if index in closed:
                continue
            sock.settimeout(0.01)
            try:
                if sock.recv(1) == b"":
                    closed.add(index)
            except TimeoutError:
                continue
            except OSError:
                closed.add(index)
    return len(closed)
