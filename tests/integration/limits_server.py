"""A tiny ASGI server on OneWriteProtocol and uvloop, as both Strongroom servers run it, for the
connection-limit tests (run in a subprocess with a low descriptor limit).

Usage: python -m tests.integration.limits_server HEAD_TIMEOUT MAX_CONNECTIONS (0: from the
descriptor limit). Prints the port it listens on (127.0.0.1), then serves until killed.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import uvicorn

from strongroom.http_protocol import OneWriteProtocol


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    body = b'{"query":%d}' % len(scope["query_string"])
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    head_timeout, max_connections = float(sys.argv[1]), int(sys.argv[2])
    protocol = OneWriteProtocol.configured(
        head_timeout=head_timeout, max_connections=max_connections or None
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http=protocol,
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_keep_alive=2,
        backlog=2048,
    )
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
