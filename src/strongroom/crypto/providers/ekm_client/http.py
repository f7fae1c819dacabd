"""Pooled HTTP/1.1 clients, one per (origin, trust) and event loop, and one send with the
transport faults mapped to EKM errors.

EKM calls (:func:`call`) hand their request's bytes straight to the pool's
:class:`~strongroom.crypto.providers.ekm_client.transport.LeanTransport`: building an
``httpx.Request`` and ``httpx.Response`` and passing through ``AsyncClient.send`` cost more
CPU than the exchange itself. When the pool serves another transport (tests' fakes) they go
through the ``httpx.AsyncClient`` as before; so do token requests (:func:`send`).
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx

from strongroom.crypto.providers.ekm_client.errors import EkmTlsError, EkmUnavailable
from strongroom.crypto.providers.ekm_client.tls import ClientCert, tls_context, tls_reason
from strongroom.crypto.providers.ekm_client.transport import (
    LeanTransport,
    encode_headers,
    request_head,
)

if TYPE_CHECKING:
    from strongroom.crypto.providers.ekm_client.route import Route, Target

T = TypeVar("T")

MAX_CONNECTIONS = 64
# Connection faults where retrying an idempotent request is safe: nothing was answered.
_RETRYABLE = (httpx.ConnectError, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)

_NO_CLIENT_CERT = (
    " (an EKM that requires a TLS client certificate does this when none is presented: "
    "serve Strongroom with --ekm-client-cert and --ekm-client-key)"
)

# origin, CA bundle PEM, trust the system store too, (address, port) to dial instead of the
# origin's (an EKMS private endpoint)
PoolKey = tuple[str, str | None, bool, tuple[str, int] | None]


class Answer(Protocol):
    """What EKM callers read of an answer: an ``httpx.Response`` or the lean transport's
    :class:`~strongroom.crypto.providers.ekm_client.transport.Reply`."""

    @property
    def status_code(self) -> int: ...

    @property
    def content(self) -> bytes: ...


class ClientPool:
    """Keeps one ``httpx.AsyncClient`` per origin and trust, over a :class:`LeanTransport`
    (its keep-alive connection pool).

    Clients are created lazily and belong to the event loop that created them; when called
    from another loop the pool starts afresh (the old loop's connections cannot be reused).
    ``transport`` replaces the network (tests serve fakes with ``httpx.MockTransport``).
    """

    def __init__(
        self,
        client_cert: ClientCert | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client_cert = client_cert
        self._transport = transport
        self._clients: dict[PoolKey, httpx.AsyncClient] = {}
        self._leans: dict[PoolKey, LeanTransport] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def client(self, key: PoolKey) -> httpx.AsyncClient:
        """The pooled client for ``key`` on the running loop."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._clients, self._leans = {}, {}
            self._loop = loop
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = self._new_client(key)
        return client

    def lean(self, key: PoolKey) -> LeanTransport | None:
        """The lean transport under :meth:`client`'s ``key`` (None when the pool was given
        another transport)."""
        self.client(key)
        return self._leans.get(key)

    def _new_client(self, key: PoolKey) -> httpx.AsyncClient:
        origin, ca_bundle_pem, system_trust, dial = key
        transport = self._transport
        if transport is None:
            parts = urlsplit(origin)
            tls = None
            if parts.scheme == "https":
                tls = tls_context(ca_bundle_pem, self._client_cert, system_trust)
            name = parts.hostname or ""
            host, port = dial or (name, parts.port or 0)
            transport = self._leans[key] = LeanTransport(
                host, port, tls, MAX_CONNECTIONS, server_hostname=name
            )
        client = httpx.AsyncClient(transport=transport, trust_env=False, follow_redirects=False)
        # EKMs set no cookies we want; parsing Set-Cookie costs a fifth of a call's overhead.
        client._cookies = _NoCookies()
        return client

    def fault_hint(self, key: PoolKey) -> str:
        """What to add when an HTTPS EKM closes or resets a connection without answering
        while Strongroom presents no client certificate: that is how an EKM requiring one
        refuses (TLS 1.3 sends its alert after the handshake, which the client may see as a
        plain close)."""
        if self._client_cert is None and key[0].startswith("https:"):
            return _NO_CLIENT_CERT
        return ""

    async def aclose(self) -> None:
        """Close every client of the current loop (the others' loops are gone)."""
        clients, self._clients, self._leans = self._clients, {}, {}
        if self._loop is asyncio.get_running_loop():
            for client in clients.values():
                await client.aclose()


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing (and spends nothing on each response)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


async def send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    label: str,
    timeout_message: str,
    retry: bool,
) -> httpx.Response:
    """Send ``request``; with ``retry``, once more after a connection fault before any answer.

    Raises EkmTlsError, or EkmUnavailable saying what happened, never an httpx error.
    """
    return await _attempts(lambda: client.send(request), label, timeout_message, retry)


async def call(
    pool: ClientPool,
    route: Route,
    method: bytes,
    target: Target,
    headers: Mapping[str, str],
    content: bytes | None,
    retry: bool,
    wire_headers: bytes | None = None,
) -> Answer:
    """One EKM request on ``route``'s pool, as :func:`send` sends it (``wire_headers`` is
    ``headers`` already encoded by ``transport.encode_headers``, when the caller keeps it).

    On the lean transport it has no timer of its own: EKM calls run within the budget of
    ``ExternalKeyManagers._guarded``. Elsewhere (tests' transports) it goes through
    ``httpx.AsyncClient`` with the route's timeouts.
    """
    lean = pool.lean(route.pool_key)
    if lean is None:
        request = route.request(method.decode("ascii"), target.url, headers, content)
        client = pool.client(route.pool_key)
        return await send(client, request, route.label, route.timeout_message, retry)
    if wire_headers is None:
        try:
            wire_headers = encode_headers(headers.items())
        except httpx.LocalProtocolError as error:
            raise EkmUnavailable(f"{route.label} {_fault(error)}") from None
    length = None if content is None else len(content)
    head = request_head(method, target.path, target.host, wire_headers, length)
    body = content or b""
    return await _attempts(
        lambda: lean.exchange(head, body),
        route.label,
        route.timeout_message,
        retry,
        lambda: pool.fault_hint(route.pool_key),
    )


async def _attempts(
    attempt: Callable[[], Awaitable[T]],
    label: str,
    timeout_message: str,
    retry: bool,
    hint: Callable[[], str] = str,
) -> T:
    """``attempt()``; with ``retry``, once more after a connection fault before any answer.
    httpx faults become EkmTlsError or EkmUnavailable; ``hint()`` is added to the message of
    a connection the EKM closed or reset without answering."""
    for number in (1, 2):
        try:
            return await attempt()
        except httpx.TimeoutException:
            raise EkmUnavailable(timeout_message) from None
        except _RETRYABLE as error:
            reason = tls_reason(error)
            if reason is not None:
                raise EkmTlsError(f"{label} cannot be trusted: {reason}") from None
            if retry and number == 1:
                continue
            closed = isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError))
            raise EkmUnavailable(f"{label} {_fault(error)}{hint() if closed else ''}") from None
        except httpx.HTTPError as error:
            raise EkmUnavailable(f"{label} {_fault(error)}") from None
    raise AssertionError("unreachable")


def _fault(error: BaseException) -> str:
    """A short, safe description of a connection fault."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            if current.errno == errno.ECONNREFUSED:
                return "refused the connection"
            if current.errno == errno.ECONNRESET:
                return "reset the connection"
            return f"could not be reached ({errno.errorcode.get(current.errno, 'error')})"
        current = current.__cause__ or current.__context__
    if isinstance(error, httpx.ConnectError):
        return "could not be reached (connection failed)"
    if isinstance(error, httpx.RemoteProtocolError):
        return "closed the connection without a valid answer"
    return f"could not be reached ({type(error).__name__})"
