"""The facade Strongroom uses: one per process, owning connection pools, token caches and
circuit breakers, dispatching each call to the vault's protocol within its time budget."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx

from strongroom.crypto.providers.ekm_client.breaker import OPEN_SECONDS, Admission, CircuitBreaker
from strongroom.crypto.providers.ekm_client.connection import (
    EkmConnection,
    EkmProtocol,
    ExternalCiphertext,
    ExternalKeyInfo,
    HealthState,
    VaultHealth,
)
from strongroom.crypto.providers.ekm_client.ekms import EkmsClient
from strongroom.crypto.providers.ekm_client.errors import EkmError, EkmUnavailable
from strongroom.crypto.providers.ekm_client.http import ClientPool
from strongroom.crypto.providers.ekm_client.route import Route, make_route, origin_of
from strongroom.crypto.providers.ekm_client.tls import ClientCert
from strongroom.crypto.providers.ekm_client.tokens import TokenSource
from strongroom.crypto.providers.ekm_client.xks import XksClient
from strongroom.domain.clock import Clock, SystemClock

T = TypeVar("T")
MAX_ROUTES = 4096
log = logging.getLogger("strongroom.ekm_client")


class ExternalKeyManagers:
    """Calls EKMs for EXTERNAL vaults, from async code on one event loop.

    Every call is bounded by ``conn.timeout_seconds`` (token fetch and retry included) and
    raises an :class:`~strongroom.crypto.providers.ekm_client.errors.EkmError`, never an httpx
    error. ``client_cert`` is (certificate chain file, key file) for mutual TLS; ``clock``
    stamps health checks; ``monotonic`` drives token expiry and the breakers; ``transport``
    replaces the network (tests).
    """

    def __init__(
        self,
        *,
        client_cert: ClientCert | None = None,
        clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._clock = clock or SystemClock()
        self._monotonic = monotonic
        self._pool = ClientPool(client_cert, transport)
        self._tokens = TokenSource(self._pool, monotonic)
        self._ekms = EkmsClient(self._pool, self._tokens)
        self._xks = XksClient(self._pool)
        self._breakers: dict[str, CircuitBreaker] = {}
        self._routes: dict[EkmConnection, Route] = {}

    async def key_info(self, conn: EkmConnection, external_key_id: str) -> ExternalKeyInfo:
        """The external key's state and shape as the EKM reports it."""
        route = self._route(conn)
        if conn.protocol is EkmProtocol.XKS:
            return await self._guarded(route, self._xks.key_info(route, external_key_id))
        return await self._guarded(route, self._ekms.key_info(route, external_key_id))

    async def encrypt(
        self,
        conn: EkmConnection,
        external_key_id: str,
        external_version_id: str | None,
        plaintext: bytes,
        aad: bytes,
        *,
        key_ref: str | None = None,
    ) -> ExternalCiphertext:
        """Encrypt ``plaintext`` bound to ``aad`` under the external key (and version, for
        EKMS; XKS has none). ``key_ref`` (the Strongroom key id) goes to XKS as kmsKeyArn."""
        route = self._route(conn)
        if conn.protocol is EkmProtocol.XKS:
            call = self._xks.encrypt(route, external_key_id, plaintext, aad, key_ref)
            return await self._guarded(route, call)
        ekms = self._ekms.encrypt(route, external_key_id, external_version_id, plaintext, aad)
        return await self._guarded(route, ekms)

    async def decrypt(
        self,
        conn: EkmConnection,
        external_key_id: str,
        external_version_id: str | None,
        blob: bytes,
        aad: bytes,
        *,
        key_ref: str | None = None,
    ) -> bytes:
        """Decrypt an :class:`ExternalCiphertext`'s blob with its version and the same aad."""
        route = self._route(conn)
        if conn.protocol is EkmProtocol.XKS:
            call = self._xks.decrypt(route, external_key_id, blob, aad, key_ref)
            return await self._guarded(route, call)
        ekms = self._ekms.decrypt(route, external_key_id, external_version_id, blob, aad)
        return await self._guarded(route, ekms)

    async def vault_health(self, conn: EkmConnection) -> VaultHealth:
        """ACTIVE, BLOCKED or UNREACHABLE with the reason; never raises for EKM faults.

        It goes out even while the circuit is open, and a healthy answer closes it."""
        try:
            route = self._route(conn)
            state: HealthState
            if conn.protocol is EkmProtocol.XKS:
                state, detail = await self._guarded(route, self._xks.health(route), gate=False)
            else:
                ekms = await self._guarded(route, self._ekms.vault_state(route), gate=False)
                state = "ACTIVE" if ekms == "ACTIVE" else "BLOCKED"
                detail = f"{route.label} reports the vault {ekms}"
        except EkmError as error:
            return VaultHealth("UNREACHABLE", error.message, self._clock.now())
        return VaultHealth(state, detail, self._clock.now())

    def circuit_open(self, conn: EkmConnection) -> bool:
        """Whether calls to ``conn``'s EKM are refused at once right now (the breaker of its
        origin is open, or half-open with its probe in flight); False before any call."""
        route = self._routes.get(conn)
        return route is not None and route.breaker.is_open

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._pool.aclose()

    def _route(self, conn: EkmConnection) -> Route:
        route = self._routes.get(conn)
        if route is None:
            origin = origin_of(conn.endpoint_url)
            breaker = self._breakers.get(origin)
            if breaker is None:
                breaker = self._breakers[origin] = CircuitBreaker(self._monotonic)
            if len(self._routes) >= MAX_ROUTES:
                self._routes.clear()
            route = self._routes[conn] = make_route(conn, breaker)
        return route

    async def _guarded(self, route: Route, call: Coroutine[Any, Any, T], gate: bool = True) -> T:
        """Run ``call`` through the origin's breaker and within the connection's budget."""
        breaker = route.breaker
        try:  # one-time set-up (TLS contexts, pools) stays outside the budget
            self._pool.client(route.pool_key)
            if route.idp_pool_key is not None:
                self._pool.client(route.idp_pool_key)
        except BaseException:
            call.close()
            raise
        admission = breaker.admit() if gate else Admission.CLOSED
        if admission is Admission.REFUSED:
            call.close()
            raise EkmUnavailable(f"{route.label} keeps failing: circuit open, try again shortly")
        try:
            async with asyncio.timeout(route.conn.timeout_seconds):
                result = await call
        except TimeoutError:
            _failed(route, route.timeout_message)
            raise EkmUnavailable(route.timeout_message) from None
        except EkmUnavailable as error:
            _failed(route, error.message)
            raise
        except EkmError:
            breaker.success()
            raise
        except BaseException:
            breaker.abandon(admission)
            raise
        breaker.success()
        return result


def _failed(route: Route, reason: str) -> None:
    """Count a failure against the origin's breaker; say so when it opens the circuit."""
    if route.breaker.failure():
        log.warning("EKM circuit open for %s s: %s", OPEN_SECONDS, reason)
