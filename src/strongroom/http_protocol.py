"""uvicorn's httptools protocol, sending each response's head and body in one write (both
``strongroom serve`` and ``strongroom-ekm serve`` use it).

uvicorn writes a response's status line and headers when the application starts the response,
and the body when it sends it: two ``send`` calls, two TCP segments and, on the client's side,
often two wake-ups per response. :class:`OneWriteProtocol` holds the head back until the first
body write and sends both together. Everything else is uvicorn's own.

A held head is sent as it was before on every other path: when the response completes without
a body write (HEAD, for instance) and when the connection is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_HEAD_PREFIX = b"HTTP/1.1 "
_INTERIM = b"HTTP/1.1 1"  # 100 Continue is written while the client waits for it: never held


class _HeldHeadTransport:
    """The connection's transport, as one response cycle sees it."""

    __slots__ = ("_held", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + data)
        elif data.startswith(_HEAD_PREFIX) and not data.startswith(_INTERIM):
            self._held = data
        else:
            self._transport.write(data)

    def flush(self) -> None:
        """Send a head still held back."""
        held, self._held = self._held, None
        if held is not None:
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteProtocol(HttpToolsProtocol):
    """uvicorn's ``httptools`` protocol whose response cycles write head and body at once."""

    _held_head: _HeldHeadTransport

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._held_head = _HeldHeadTransport(transport)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if self.cycle is not None:
            self.cycle.transport = self._held_head  # type: ignore[assignment]

    def on_response_complete(self) -> None:
        self._held_head.flush()
        super().on_response_complete()
