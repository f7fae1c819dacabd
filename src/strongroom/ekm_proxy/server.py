"""Wiring of a serving proxy: config, back end, engine, and the Starlette app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from strongroom.ekm_proxy import ekms, xks
from strongroom.ekm_proxy.backends.base import KeyBackend
from strongroom.ekm_proxy.backends.software import SoftwareBackend
from strongroom.ekm_proxy.config import ProxyConfig, SoftHsmSettings
from strongroom.ekm_proxy.engine import DEFAULT_RELOAD_INTERVAL, Engine
from strongroom.ekm_proxy.state import ProxyState

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]


def open_backend(data_dir: Path, config: ProxyConfig) -> KeyBackend:
    """The back end the config names (nothing is opened until first use)."""
    if config.backend == "softhsm":
        from strongroom.ekm_proxy.backends.softhsm import SoftHsmBackend

        return SoftHsmBackend(config.softhsm or SoftHsmSettings())
    return SoftwareBackend(data_dir)


def create_app(
    data_dir: Path,
    config: ProxyConfig,
    base_url: str,
    *,
    reload_interval: float = DEFAULT_RELOAD_INTERVAL,
) -> tuple[Starlette, ProxyState]:
    """The ASGI app serving the EKMS API, the XKS API and ``/health``."""
    backend = open_backend(data_dir, config)
    engine = Engine(data_dir, backend, reload_interval=reload_interval)
    state = ProxyState(data_dir, config, engine, base_url, reload_interval=reload_interval)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            backend.close()

    routes = [
        *ekms.routes(state),
        Route("/{path:path}", xks.endpoint(state), methods=ALL_METHODS),
    ]
    return ProxyApp(xks.asgi_app(state), routes=routes, lifespan=lifespan), state


class ProxyApp(Starlette):
    """Starlette, with XKS calls served ahead of its middleware and router.

    Every XKS path contains ``/kms/xks/v1/`` and no EKMS route matches such a path, so the
    router would hand it to the catch-all XKS route anyway; skipping Starlette's two exception
    middlewares and its regular expressions costs the busiest API less (the XKS endpoint maps
    every error itself). Anything else goes through Starlette as before.
    """

    def __init__(self, xks_app: ASGIApp, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._xks = xks_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _XKS_PATH in scope["path"]:
            scope["app"] = self
            await self._xks(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


_XKS_PATH = xks.API_PATH + "/"
