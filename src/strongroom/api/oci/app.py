"""The Starlette application serving every OCI-compatible API on one listener."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from strongroom.api.oci.audit import routes as audit
from strongroom.api.oci.endpoint import Api, ApiRoute, access_log, json_response
from strongroom.api.oci.endpoint import routes as api_routes
from strongroom.api.oci.external import routes as external
from strongroom.api.oci.forwarding import HomeRegionOnly
from strongroom.api.oci.hot_routes import HotRoutes, OciApp
from strongroom.api.oci.identity import routes as identity
from strongroom.api.oci.identity.oauth import oauth_routes
from strongroom.api.oci.kms import routes as kms
from strongroom.api.oci.monitoring import ROUTES as MONITORING
from strongroom.api.oci.secrets import routes as secrets
from strongroom.api.oci.work_requests import routes as work_requests
from strongroom.api.oci.wrong_endpoint import PathHints
from strongroom.services.at_rest.keeper import keep_unsealed
from strongroom.services.at_rest.presence import keep_present
from strongroom.services.external import health as ekm_health
from strongroom.services.leases import Lease, process_holder, run_under_lease, stored_leases
from strongroom.services.ports import Deps
from strongroom.services.replication.pulling import start_catching_up
from strongroom.services.replication.shipper import Shipper, start_shipper
from strongroom.services.secrets.replica_shipping import SECRET_CODEC
from strongroom.services.secrets.rotation import run_scheduled_work
from strongroom.storage.at_rest_repository import KEYRING_TABLE
from strongroom.storage.realm_repository import OUTBOX_TABLE
from strongroom.storage.secret_outbox import SECRETS_STREAM

__all__ = [
    "EKM_HEALTH_LEASE",
    "ROUTES",
    "SCHEDULER_INTERVAL",
    "SCHEDULER_LEASE",
    "build_app",
    "scheduler_loop",
]

SCHEDULER_INTERVAL = 30.0  # seconds between rounds of scheduled rotations and deletions
SCHEDULER_LEASE = "scheduler"  # held by the one process running scheduled secret work
EKM_HEALTH_LEASE = "ekm-health"  # held by the one process checking EXTERNAL vaults' EKMs
log = logging.getLogger("strongroom.scheduler")

# Every OCI operation, by context (the inline ones are dispatched ahead of Starlette), and
# the signed scrape of the metrics.
ROUTES: list[ApiRoute] = [
    *kms.ROUTES,
    *secrets.ROUTES,
    *external.ROUTES,
    *identity.ROUTES,
    *audit.ROUTES,
    *work_requests.ROUTES,
    *MONITORING,
]

_HINTS = PathHints(ROUTES)


def _healthz(deps: Deps) -> Callable[[Request], Any]:
    async def healthz(request: Request) -> Response:
        """200 ``{"status": "ok"}`` with the stored leases (``"unavailable"`` when storage
        does not answer: the process itself is up) and the master key's key server as last
        seen; 503 ``{"sealed": true, "reason": ...}`` while sealed."""
        if deps.barrier.sealed:
            body = {"status": "sealed", "sealed": True, "reason": deps.barrier.sealed_reason}
            return JSONResponse(body, status_code=503)
        try:
            leases: object = await anyio.to_thread.run_sync(_lease_detail, deps)
        except Exception:
            leases = "unavailable"
        body = {
            "status": "ok",
            "sealed": False,
            "masterKeyID": deps.barrier.master_key_id,
            "leases": leases,
        }
        if deps.master_key_health:
            body["masterKey"] = dict(deps.master_key_health)
        return JSONResponse(body)

    return healthz


def _lease_detail(deps: Deps) -> list[dict[str, object]]:
    return [
        {
            "name": view.record.name,
            "holder": view.record.holder,
            "since": view.record.acquired_at.isoformat(),
            "expires": view.record.expires_at.isoformat(),
            "expired": view.expired,
            "heldByThisProcess": view.mine,
        }
        for view in stored_leases(deps, process_holder(deps))
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    request_id = request.headers.get("opc-request-id") or uuid.uuid4().hex.upper()
    if exc.status_code == 405:
        body = {"code": "MethodNotAllowed", "message": f"{request.method} is not allowed here"}
    elif exc.status_code == 404:
        hint = _HINTS.hint(request.method, request.url.path)
        message = "No such API path" if hint is None else f"No such API path; {hint}"
        body = {"code": "NotAuthorizedOrNotFound", "message": message}
    else:
        body = {"code": "InvalidParameter", "message": str(exc.detail)}
    if access_log.isEnabledFor(logging.INFO):
        fields: dict[str, object] = {"method": request.method, "path": request.url.path}
        fields |= {"operation": "-", "status": exc.status_code, "principal": "-"}
        fields["request_id"] = request_id
        access_log.info(
            "%s %s - %d principal=- request=%s",
            request.method,
            request.url.path,
            exc.status_code,
            request_id,
            extra={"fields": fields},
        )
    return json_response(exc.status_code, body, request_id, {})


def build_app(
    api: Api,
    extra_routes: list[BaseRoute] | None = None,
    scheduler_interval: float | None = SCHEDULER_INTERVAL,
    extra_hot: list[tuple[str, str, ASGIApp]] | None = None,
) -> Starlette:
    """The ASGI application; with a ``scheduler_interval``, a background thread runs
    scheduled secret rotations and deletions that often while the application is up.
    ``extra_hot``: (path, method, app) of other dialects served ahead of the router too (the
    Alibaba API's ``POST /``)."""
    handlers: dict[Any, Callable[..., Any]] = {HTTPException: _http_error}
    hot = HotRoutes()
    others = [hot.route(path, method, app) for path, method, app in extra_hot or []]
    routes = others + (
        api_routes(api, ROUTES, hot, _forward_identity_writes(api.deps))
        + [Route("/healthz", _healthz(api.deps), methods=["GET"])]
        + oauth_routes(api.deps)
        + (extra_routes or [])
    )
    lifespan = _lifespan(api, scheduler_interval)
    app = OciApp(
        hot,
        _sealed_reason(api.deps),
        routes=routes,
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    # A trailing slash is a 404 that names the right path, not a redirect (a signed request
    # cannot follow one: the signature covers the path it was sent to).
    app.router.redirect_slashes = False
    return app


# Identity writes: served by the home region only (a member region forwards them there).
_HOME_ONLY = frozenset(r.operation for r in identity.ROUTES if r.changes_state)


def _forward_identity_writes(deps: Deps) -> Callable[[ApiRoute, ASGIApp], ASGIApp]:
    def wrap(route: ApiRoute, app: ASGIApp) -> ASGIApp:
        return HomeRegionOnly(deps, app) if route.operation in _HOME_ONLY else app

    return wrap


def _sealed_reason(deps: Deps) -> Callable[[], str | None]:
    barrier = deps.barrier

    def reason() -> str | None:
        return barrier.sealed_reason if barrier.sealed else None

    return reason


def _lifespan(
    api: Api, scheduler_interval: float | None
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # On PostgreSQL, other processes' writes drop this process's caches at once.
        api.deps.db.listen_for_changes()
        stop = threading.Event()
        _start_at_rest_keeper(api.deps, stop)
        shipper = _start_replication(api.deps, stop)
        worker = None
        if scheduler_interval is not None:
            worker = threading.Thread(
                target=scheduler_loop,
                args=(api.deps, stop, scheduler_interval),
                name="strongroom-scheduler",
                daemon=True,
            )
            worker.start()
        # EKM health of EXTERNAL vaults, polled on the event loop the EKM client's pools use,
        # by the one process holding the ekm-health lease.
        polled = threading.Event()
        keeper = await _ekm_health_lease(api.deps, polled)
        held = keeper.held if keeper is not None else None
        poller = asyncio.create_task(ekm_health.poll_forever(api.deps, held))
        yield
        stop.set()
        if shipper is not None:
            await anyio.to_thread.run_sync(shipper.stop)
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        polled.set()  # no poll runs any more: the lease is released
        if api.deps.ekm is not None:
            await api.deps.ekm.aclose()
        if worker is not None:
            worker.join(timeout=10)
        if api.deps.audit is not None:
            api.deps.audit.close()
        if api.deps.refresher is not None:
            api.deps.refresher.close()
        api.deps.db.stop_listening()

    return lifespan


def _start_at_rest_keeper(deps: Deps, stop: threading.Event) -> None:
    """This process's presence lease, and the keeper that unseals it, reloads the keyring
    another process rewrapped (woken by the change feed), and finishes interrupted rekeys."""
    wake = threading.Event()

    def keyring_changed(tables: frozenset[str]) -> None:
        if KEYRING_TABLE in tables:
            wake.set()

    deps.db.add_change_listener(keyring_changed)
    keep_present(deps, stop)
    threading.Thread(
        target=keep_unsealed, args=(deps, stop, wake), name="strongroom-at-rest", daemon=True
    ).start()


def _start_replication(deps: Deps, stop: threading.Event) -> Shipper | None:
    """In the home region: the shipper of the identity stream, woken by each outbox write; in
    a member region: catching up from the home region at start-up."""
    if deps.peers is None:
        return None
    if not deps.realm.is_home:
        start_catching_up(deps, stop)
    shipper = start_shipper(deps, stop, {SECRETS_STREAM: SECRET_CODEC})
    wake = shipper.wake

    def outbox_written(tables: frozenset[str]) -> None:
        if OUTBOX_TABLE in tables:
            wake.set()

    deps.db.add_change_listener(outbox_written)
    return shipper


async def _ekm_health_lease(deps: Deps, done: threading.Event) -> Lease | None:
    """Take the ekm-health lease now if free (so a lone process polls at once) and keep it in
    a thread until ``done``; None when this process uses no EKMs."""
    if deps.ekm is None:
        return None
    lease = Lease(deps, EKM_HEALTH_LEASE, process_holder(deps))
    try:
        await anyio.to_thread.run_sync(lease.try_hold)
    except Exception:
        log.warning("could not take the %s lease yet; trying again", EKM_HEALTH_LEASE)
    keeper = threading.Thread(
        target=lease.keep, args=(done,), name="strongroom-lease-ekm-health", daemon=True
    )
    keeper.start()
    return lease


def scheduler_loop(deps: Deps, stop: threading.Event, interval: float) -> None:
    """Run scheduled work every ``interval`` seconds until ``stop`` is set, while this process
    holds the ``scheduler`` lease; errors are logged and the next round tries again (work is
    also claimed row by row: see services.secrets.rotation)."""
    run_under_lease(deps, SCHEDULER_LEASE, interval, lambda: run_scheduled_work(deps), stop)
