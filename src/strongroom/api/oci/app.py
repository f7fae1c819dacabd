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

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from strongroom.api.oci.audit import events as audit_events
from strongroom.api.oci.endpoint import Api, Handler, RouteRow, endpoint, json_response, routes
from strongroom.api.oci.external.private_endpoints import private_endpoint_routes
from strongroom.api.oci.hot_routes import HotRoutes, OciApp
from strongroom.api.oci.identity.oauth import oauth_routes
from strongroom.api.oci.identity.routes import identity_routes
from strongroom.api.oci.kms import crypto as kms_crypto
from strongroom.api.oci.kms import keys as kms_keys
from strongroom.api.oci.kms import vaults as kms_vaults
from strongroom.api.oci.secrets.routes import bundle_read_routes, secret_routes
from strongroom.services.external import health as ekm_health
from strongroom.services.ports import Deps
from strongroom.services.secrets.rotation import run_scheduled_work

SCHEDULER_INTERVAL = 30.0  # seconds between rounds of scheduled rotations and deletions
log = logging.getLogger("strongroom.scheduler")

KMS = "/20180608"
MGMT = "/kms/{vaultId}/management/20180608"
CRYPTO = "/kms/{vaultId}/crypto/20180608"


def _routes(api: Api, hot: HotRoutes) -> list[BaseRoute]:
    def fast(path: str, method: str, handler: Handler) -> Route:
        return hot.route(path, method, endpoint(api, handler, inline=True))

    return [
        # The hot ones (see hot_routes), also first in Starlette's table: no other route can
        # match their paths, so order changes nothing else. Symmetric crypto on cached keys,
        # and bundle reads of cached secrets, run on the event loop (endpoint(inline=...)).
        fast(f"{CRYPTO}/encrypt", "POST", kms_crypto.encrypt),
        fast(f"{CRYPTO}/decrypt", "POST", kms_crypto.decrypt),
        fast(f"{CRYPTO}/generateDataEncryptionKey", "POST", kms_crypto.generate_data_key),
        *bundle_read_routes(api, hot),
        Route("/healthz", _healthz, methods=["GET"]),
        *routes(api, _KMS),
    ]


_VAULT = f"{KMS}/vaults/{{vaultId}}"
_KEY = f"{MGMT}/keys/{{keyId}}"
_VERSIONS = f"{_KEY}/keyVersions"
_VERSION = f"{_VERSIONS}/{{keyVersionId}}"
# The KMS routes other than the hot ones, and the audit events' route, as (path, method,
# handler, accepts opc-retry-token).
_KMS: list[RouteRow] = [
    ("/20190901/auditEvents", "GET", audit_events.list_events, False),
    (f"{CRYPTO}/sign", "POST", kms_crypto.sign, False),
    (f"{CRYPTO}/verify", "POST", kms_crypto.verify, False),
    (f"{CRYPTO}/exportKey", "POST", kms_crypto.export, False),
    (f"{KMS}/vaults", "POST", kms_vaults.create, True),
    (f"{KMS}/vaults", "GET", kms_vaults.list_, False),
    (_VAULT, "GET", kms_vaults.get, False),
    (_VAULT, "PUT", kms_vaults.update, False),
    (f"{_VAULT}/actions/scheduleDeletion", "POST", kms_vaults.schedule_deletion, True),
    (f"{_VAULT}/actions/cancelDeletion", "POST", kms_vaults.cancel_deletion, True),
    (f"{_VAULT}/actions/changeCompartment", "POST", kms_vaults.change_compartment, True),
    (f"{_KEY}/actions/changeCompartment", "POST", kms_keys.change_compartment, True),
    (f"{MGMT}/keys", "POST", kms_keys.create, True),
    (f"{MGMT}/keys", "GET", kms_keys.list_, False),
    (_KEY, "GET", kms_keys.get, False),
    (_KEY, "PUT", kms_keys.update, False),
    (f"{_KEY}/actions/enable", "POST", kms_keys.enable, True),
    (f"{_KEY}/actions/disable", "POST", kms_keys.disable, True),
    (f"{_KEY}/actions/scheduleDeletion", "POST", kms_keys.schedule_deletion, True),
    (f"{_KEY}/actions/cancelDeletion", "POST", kms_keys.cancel_deletion, True),
    (_VERSIONS, "POST", kms_keys.create_version, True),
    (_VERSIONS, "GET", kms_keys.list_versions, False),
    (_VERSION, "GET", kms_keys.get_version, False),
    (f"{_VERSION}/actions/scheduleDeletion", "POST", kms_keys.schedule_version_deletion, True),
    (f"{_VERSION}/actions/cancelDeletion", "POST", kms_keys.cancel_version_deletion, True),
]


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    request_id = request.headers.get("opc-request-id") or uuid.uuid4().hex.upper()
    if exc.status_code == 405:
        body = {"code": "MethodNotAllowed", "message": f"{request.method} is not allowed here"}
    elif exc.status_code == 404:
        body = {"code": "NotAuthorizedOrNotFound", "message": "No such API path"}
    else:
        body = {"code": "InvalidParameter", "message": str(exc.detail)}
    return json_response(exc.status_code, body, request_id, {})


def build_app(
    api: Api,
    extra_routes: list[BaseRoute] | None = None,
    scheduler_interval: float | None = SCHEDULER_INTERVAL,
) -> Starlette:
    """The ASGI application; with a ``scheduler_interval``, a background thread runs
    scheduled secret rotations and deletions that often while the application is up."""
    handlers: dict[Any, Callable[..., Any]] = {HTTPException: _http_error}
    hot = HotRoutes()
    routes = (
        _routes(api, hot)
        + secret_routes(api)
        + private_endpoint_routes(api)
        + identity_routes(api)
        + oauth_routes(api.deps)
        + (extra_routes or [])
    )
    lifespan = _lifespan(api, scheduler_interval)
    return OciApp(hot, routes=routes, exception_handlers=handlers, lifespan=lifespan)


def _lifespan(
    api: Api, scheduler_interval: float | None
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        stop = threading.Event()
        worker = None
        if scheduler_interval is not None:
            worker = threading.Thread(
                target=scheduler_loop,
                args=(api.deps, stop, scheduler_interval),
                name="strongroom-scheduler",
                daemon=True,
            )
            worker.start()
        # EKM health of EXTERNAL vaults, polled on the event loop the EKM client's pools use.
        poller = asyncio.create_task(ekm_health.poll_forever(api.deps))
        yield
        stop.set()
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        if api.deps.ekm is not None:
            await api.deps.ekm.aclose()
        if worker is not None:
            worker.join(timeout=10)
        if api.deps.audit is not None:
            api.deps.audit.close()

    return lifespan


def scheduler_loop(deps: Deps, stop: threading.Event, interval: float) -> None:
    """Run scheduled work every ``interval`` seconds until ``stop`` is set; errors are logged
    and the next round tries again (work is claimed optimistically: see secret_rotation)."""
    while not stop.wait(interval):
        try:
            run_scheduled_work(deps)
        except Exception:
            log.exception("scheduled secret work failed; retrying next round")
