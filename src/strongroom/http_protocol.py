"""uvicorn's httptools protocol, sending each response's head and body in one write (both
``strongroom serve`` and ``strongroom-ekm serve`` use it).

uvicorn writes a response's status line and headers when the application starts the response,
and the body when it sends it: two ``send`` calls, two TCP segments and, on the client's side,
often two wake-ups per response. :class:`OneWriteProtocol` holds the head back until the first
body write and sends both together. Everything else is uvicorn's own.

A held head is sent as it was before on every other path: when the response completes without
a body write (HEAD, for instance) and when the connection is closed.

It also keeps the server alive under abusive clients (:class:`_Guard`, one per server):

- a connection must send a complete request head within ``head_timeout`` seconds of connecting
  (or of a request's first byte); one periodic sweep per server closes those that do not (idle
  keep-alive connections are closed by uvicorn's ``timeout_keep_alive`` as before);
- a request line and headers over ``max_head_bytes`` in total are answered 431 and closed,
  before more is buffered;
- concurrent connections are capped below the process's descriptor limit (whose soft value is
  raised to the hard one): at the cap the longest-idle connection (kept alive, or silent since
  it connected) is closed for the new one, else the new one is answered 503 and closed.

Hitting a limit logs a warning, at most one per kind every ``_WARN_EVERY`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import uuid
import weakref
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

_HEAD_PREFIX = b"HTTP/1.1 "
_INTERIM = b"HTTP/1.1 1"  # 100 Continue is written while the client waits for it: never held

log = logging.getLogger("strongroom.http")

_SWEEP_EVERY = 1.0  # seconds between two sweeps of a server's connections
_WARN_EVERY = 10.0  # at most one warning per kind of limit in this many seconds
_FD_RESERVE_MIN = 32  # descriptors kept for everything else (database, EKM, logs, listeners)
_FD_CEILING = 1 << 20
_PARSE_URL_MAX = 65535  # httptools.parse_url's limit


def _refusal(status: bytes, code: str, message: str) -> bytes:
    """A response written before any application ran (the connection is then closed). Its
    JSON carries both dialects' error shapes, as the dialect is not known yet: OCI's ``code``
    and ``message``, and Alibaba's ``Code``, ``Message`` and ``RequestId`` (the Alibaba SDKs
    read only those: a 32 KB key policy percent-encoded in the query nearly fills the head,
    and a larger one is refused here)."""
    body = b'{"code":"%s","message":"%s","Code":"%s","Message":"%s","RequestId":"%s"}' % (
        code.encode(),
        message.encode(),
        code.encode(),
        message.encode(),
        str(uuid.uuid4()).upper().encode(),
    )
    return b"".join(
        (
            b"HTTP/1.1 ",
            status,
            b"\r\ncontent-type: application/json\r\ncontent-length: ",
            str(len(body)).encode(),
            b"\r\nconnection: close\r\n\r\n",
            body,
        )
    )


def _too_large() -> bytes:
    return _refusal(
        b"431 Request Header Fields Too Large",
        "RequestHeaderFieldsTooLarge",
        "The request line and headers are too large",
    )


def _unavailable() -> bytes:
    return _refusal(
        b"503 Service Unavailable", "ServiceUnavailable", "Too many connections; retry later"
    )


def raise_descriptor_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (as far as allowed); the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = _FD_CEILING if hard == resource.RLIM_INFINITY else min(hard, _FD_CEILING)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return _FD_CEILING if soft == resource.RLIM_INFINITY else soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (OSError, ValueError):
        return soft
    return wanted


def connection_cap(descriptors: int) -> int:
    """How many connections a process with ``descriptors`` file descriptors may hold."""
    reserve = max(_FD_RESERVE_MIN, descriptors // 8)
    return max(1, descriptors - reserve)


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


class _Guard:
    """One server's connection limits: the periodic sweep, the cap, rate-limited warnings."""

    def __init__(self, connections: set[Any], cap: int, head_timeout: float) -> None:
        self.connections = connections
        self.cap = cap
        self.head_timeout = head_timeout
        self.now = 0.0  # the loop's time at the last sweep: a coarse clock for requests
        self._armed = False
        self._warned: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def arm(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the sweep if it is not running (it stops when no connection is left)."""
        self.now = loop.time()
        if not self._armed:
            self._armed = True
            loop.call_later(_SWEEP_EVERY, self.sweep, loop)

    def sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        """Close connections whose request head is overdue; re-arm while any connection is open."""
        self.now = now = loop.time()
        deadline = now - self.head_timeout
        overdue = [
            c
            for c in self.connections
            if getattr(c, "_head_since", None) is not None and c._head_since < deadline
        ]
        for connection in overdue:
            connection.close_overdue()
        if overdue:
            message = "closed %d connection(s) without a complete request head in %g s"
            self.warn("timeout", message % (len(overdue), self.head_timeout))
        if self.connections:
            loop.call_later(_SWEEP_EVERY, self.sweep, loop)
        else:
            self._armed = False

    def longest_idle(self) -> OneWriteProtocol | None:
        """The connection idle the longest: kept alive between requests, or silent since it
        connected; None when every connection is busy."""
        chosen, since = None, float("inf")
        for connection in self.connections:
            idle = connection.idle_since()
            if idle is not None and idle < since:
                chosen, since = connection, idle
        return chosen

    def warn(self, kind: str, message: str) -> None:
        """Log ``message``, unless a warning of ``kind`` was logged in the last seconds."""
        last = self._warned.get(kind)
        if last is not None and self.now - last < _WARN_EVERY:
            self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
            return
        self._warned[kind] = self.now
        more = self._suppressed.pop(kind, 0)
        log.warning("%s%s", message, f" (and {more} more like it)" if more else "")


_GUARDS: weakref.WeakKeyDictionary[ServerState, _Guard] = weakref.WeakKeyDictionary()


class OneWriteProtocol(HttpToolsProtocol):
    """uvicorn's ``httptools`` protocol whose response cycles write head and body at once, and
    which enforces the connection limits (see the module's documentation).

    ``configured(head_timeout=..., max_head_bytes=..., max_connections=...)`` gives a class
    with other limits; ``max_connections`` None is "as many as the descriptor limit allows".
    """

    head_timeout: ClassVar[float] = 5.0
    max_head_bytes: ClassVar[int] = 128 * 1024
    max_connections: ClassVar[int | None] = None

    _held_head: _HeldHeadTransport
    _head_since: float | None  # when the unfinished request head began; None: none pending
    _head_bytes: int  # at least the bytes of the unfinished head read so far
    _head_floor: int  # at most those bytes (whole reads inside the head)
    _chunk: int  # size of the read being parsed
    _silent: bool  # nothing received since the connection was made

    @classmethod
    def configured(cls, **limits: Any) -> type[OneWriteProtocol]:
        """A subclass with other limits (the names of the class attributes above)."""
        unknown = set(limits) - {"head_timeout", "max_head_bytes", "max_connections"}
        if unknown:
            raise TypeError(f"unknown limits: {sorted(unknown)}")
        return type(cls.__name__, (cls,), dict(limits))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        guard = _GUARDS.get(self.server_state)
        if guard is None:
            cap = connection_cap(raise_descriptor_limit())
            if self.max_connections is not None:
                cap = min(cap, self.max_connections)
            guard = _Guard(self.connections, cap, self.head_timeout)
            _GUARDS[self.server_state] = guard
        self._guard = guard

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        guard = self._guard
        crowded = len(self.connections) >= guard.cap
        super().connection_made(transport)
        self._held_head = _HeldHeadTransport(transport)
        self._head_since = self.loop.time()
        self._head_bytes = self._head_floor = self._chunk = 0
        self._silent = True
        guard.arm(self.loop)
        if crowded:
            self._make_room()

    def _make_room(self) -> None:
        guard = self._guard
        victim = guard.longest_idle()
        if victim is not None and victim is not self:
            guard.warn("cap", f"{guard.cap} connections: closing the longest-idle one")
            victim.transport.close()
            return
        guard.warn("cap", f"{guard.cap} connections, none idle: refusing new ones with 503")
        self._head_since = None
        self.transport.write(_unavailable())
        self.transport.close()

    def idle_since(self) -> float | None:
        """Since when this connection has been idle (see :meth:`_Guard.longest_idle`)."""
        if self.transport.is_closing():
            return None
        if self._silent:
            return self._head_since
        task = self.timeout_keep_alive_task
        if task is not None and self.cycle is not None and self.cycle.response_complete:
            return task.when() - self.timeout_keep_alive
        return None

    def close_overdue(self) -> None:
        """The head did not come in time: close (there is no request to answer)."""
        self._head_since = None
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        # uvicorn's, counting the bytes of an unfinished request head read by read.
        self._unset_keepalive_if_required()
        self._silent = False
        heading = self._head_since is not None  # the whole read belongs to a head
        self._chunk = len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport.is_closing():
                return  # refused from a callback (too large), already answered
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        self._count_head(heading, len(data))

    def _count_head(self, heading: bool, size: int) -> None:
        """Bound the unfinished head: ``_head_floor`` counts whole reads inside it (refused
        past the limit, so at most one read more is ever buffered), ``_head_bytes`` also the
        read it began in (an upper bound, see :meth:`on_headers_complete`)."""
        if self._head_since is None:
            self._head_bytes = self._head_floor = 0
        elif heading and self._head_floor >= 0:
            self._head_bytes += size
            self._head_floor += size
            if self._head_floor > self.max_head_bytes:
                self._refuse_head()
        else:  # the head began inside this read (after another request's bytes)
            self._head_bytes, self._head_floor = size, 0

    def _refuse_head(self) -> None:
        self._guard.warn("head", f"refused a request head over {self.max_head_bytes} bytes (431)")
        self._head_since = None
        self.transport.write(_too_large())
        self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_since is None:
            self._head_since = self._guard.now

    def on_headers_complete(self) -> None:
        self._head_since = None
        # Only when the reads it may span could exceed the limit is the head measured.
        limit = self.max_head_bytes
        if self._head_bytes + self._chunk > limit and self._head_size() > limit:
            self._refuse_head()
            raise _HeadTooLarge
        self._head_bytes = self._head_floor = -1  # a head completed in this read
        url = self.url
        if len(url) > _PARSE_URL_MAX:
            self._long_url_headers_complete(url)
        else:
            super().on_headers_complete()
        if self.cycle is not None:
            self.cycle.transport = self._held_head  # type: ignore[assignment]

    def _long_url_headers_complete(self, url: bytes) -> None:
        """httptools' ``parse_url`` refuses URLs over 64 KiB, but a query string may be longer
        (the Alibaba SDKs send a 32 KB key policy percent-encoded): uvicorn parses the path,
        and the query string is set aside (the application has not started yet)."""
        path, mark, query = url.partition(b"?")
        if not mark:
            super().on_headers_complete()
            return
        self.url = path
        super().on_headers_complete()
        self.url = url
        self.scope["query_string"] = query

    def _head_size(self) -> int:
        """The request line and headers' size (read only when a read was larger than allowed)."""
        return len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)

    def on_response_complete(self) -> None:
        self._held_head.flush()
        super().on_response_complete()


class _HeadTooLarge(Exception):
    """Stops the parser after a too-large head was refused."""
