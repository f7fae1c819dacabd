"""Reading a request body with a size limit: what every dialect's transport needs."""

from __future__ import annotations

from starlette.requests import ClientDisconnect
from starlette.types import Receive

from strongroom.domain.errors import PayloadTooLarge

__all__ = ["read_body"]


async def read_body(method: str, headers: dict[str, str], receive: Receive, limit: int) -> bytes:
    """The whole body; PayloadTooLarge past ``limit`` bytes (declared or received),
    ClientDisconnect when the client went away."""
    if method == "GET" and "content-length" not in headers and "transfer-encoding" not in headers:
        return b""  # HTTP/1.1: without Content-Length or Transfer-Encoding there is no body
    declared = headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body must be at most {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The request body must be at most {limit} bytes")
        if not message.get("more_body", False):
            if not chunks:
                return bytes(chunk)
            chunks.append(chunk)
            return b"".join(chunks)
        chunks.append(chunk)
