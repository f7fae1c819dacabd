"""Small helpers shared by every test directory: ports, base64, waiting for a server.

(bench/ has its own copies in ``bench/loadgen.py``: benchmarks run as scripts and do not
import from tests/.)
"""

from __future__ import annotations

import base64
import socket
import ssl
import time
from pathlib import Path

import httpx


def free_port() -> int:
    """A loopback port nobody listens on right now (for servers that bind it themselves)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def b64e(data: bytes) -> str:
    """``data`` in standard base64, as text (the encoding of OCI and EKM JSON bodies)."""
    return base64.b64encode(data).decode("ascii")


def b64d(text: str) -> bytes:
    """The bytes of standard base64 ``text``."""
    return base64.b64decode(text)


def wait_healthy(
    url: str,
    timeout: float = 30.0,
    ca_file: str | Path | None = None,
    path: str = "/healthz",
) -> httpx.Response:
    """Poll ``url`` + ``path`` until it answers 200, and return that response.

    Over TLS the server's certificate is checked against ``ca_file`` when given. Connection
    errors and other statuses are retried every 50 ms; after ``timeout`` seconds raises
    TimeoutError naming the last status or error.
    """
    verify: ssl.SSLContext | bool = (
        ssl.create_default_context(cafile=str(ca_file)) if ca_file else True
    )
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{url}{path}", timeout=2.0, verify=verify)
            if response.status_code == 200:
                return response
            last = response.status_code
        except httpx.HTTPError as error:
            last = error
        time.sleep(0.05)
    raise TimeoutError(f"{url}{path} did not become healthy: {last!r}")
