"""The hottest operations dispatched ahead of Starlette's middleware and router.

Encrypt, Decrypt, GenerateDataEncryptionKey and the secret bundle reads are called far more
often than anything else, and do little work each: Starlette's two exception middlewares and
its router (a regular expression per route, tried in order, and a copy of the scope) cost a
good part of a call. :class:`OciApp` matches these few paths itself and calls their endpoints
directly; everything else, and anything unusual (a ``root_path``, another method), goes
through Starlette as before. The same routes are in Starlette's table too, so they behave the
same either way (405 for another method, for instance).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import StringConvertor
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["HotRoutes", "OciApp"]


class HotRoutes:
    """Exact route templates per method, each with the ASGI app serving it."""

    def __init__(self) -> None:
        self._by_method: dict[str, list[tuple[re.Pattern[str], ASGIApp]]] = {}

    def route(self, path: str, method: str, app: ASGIApp) -> Route:
        """Register ``app`` for ``method`` on ``path``; the Starlette route to list as well."""
        regex, _, convertors = compile_path(path)
        if not all(isinstance(c, StringConvertor) for c in convertors.values()):
            raise ValueError(f"hot route {path} may only have plain string parameters")
        self._by_method.setdefault(method, []).append((regex, app))
        return Route(path, app, methods=[method])

    def find(self, scope: Scope) -> ASGIApp | None:
        """The app for this request, with ``scope["path_params"]`` set; None when not hot."""
        candidates = self._by_method.get(scope["method"])
        if candidates is None or scope.get("root_path"):
            return None
        path = scope["path"]
        for regex, app in candidates:
            match = regex.match(path)
            if match is not None:
                scope["path_params"] = match.groupdict()
                return app
        return None


class OciApp(Starlette):
    """Starlette, with :class:`HotRoutes` tried first for HTTP requests."""

    def __init__(
        self, hot: HotRoutes, sealed_reason: Callable[[], str | None], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._hot = hot
        self._sealed_reason = sealed_reason

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            reason = self._sealed_reason()
            if reason is not None and scope["path"] != "/healthz":
                await _sealed(reason)(scope, receive, send)
                return
            app = self._hot.find(scope)
            if app is not None:
                scope["app"] = self
                await app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def _sealed(reason: str) -> Response:
    """Every data API's answer while sealed: 503 in OCI's error shape."""
    body = {"code": "ServiceUnavailable", "message": f"Strongroom is sealed: {reason}"}
    return JSONResponse(body, status_code=503, headers={"retry-after": "1"})
