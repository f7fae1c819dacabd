"""OAuth2 endpoints: the client-credentials token endpoint, JWKS and discovery (unsigned)."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qs, unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from strongroom.services.identity import token_issuer
from strongroom.services.identity.token_issuer import OAuthError
from strongroom.services.ports import Deps

__all__ = ["MAX_FORM", "oauth_routes"]

MAX_FORM = 8192


def _error(error: OAuthError) -> Response:
    headers = {"cache-control": "no-store"}
    if error.status == 401:
        headers["www-authenticate"] = 'Basic realm="strongroom"'
    body = {"error": error.error, "error_description": error.description}
    return JSONResponse(body, status_code=error.status, headers=headers)


def _client(request: Request, form: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise OAuthError("invalid_client", "Malformed Basic authorization", 401) from None
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    if "client_id" in form and "client_secret" in form:
        return form["client_id"], form["client_secret"]
    raise OAuthError("invalid_client", "Client authentication is required", 401)


async def _form(request: Request) -> dict[str, str]:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise OAuthError("invalid_request", "The body must be application/x-www-form-urlencoded")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM:
            raise OAuthError("invalid_request", "The request body is too large")
    try:
        parsed = parse_qs(raw.decode("utf-8"), strict_parsing=bool(raw))
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "The body is not a valid form") from None
    if any(len(values) != 1 for values in parsed.values()):
        raise OAuthError("invalid_request", "Each parameter may appear only once")
    return {key: values[0] for key, values in parsed.items()}


def oauth_routes(deps: Deps) -> list[BaseRoute]:
    """Routes of Strongroom's identity-provider endpoints."""

    async def token(request: Request) -> Response:
        try:
            form = await _form(request)
            if form.get("grant_type") != "client_credentials":
                raise OAuthError("unsupported_grant_type", "Only client_credentials is supported")
            client_id, secret = _client(request, form)
            issued = await run_in_threadpool(
                token_issuer.client_credentials,
                deps,
                client_id,
                secret,
                form.get("scope"),
                form.get("audience"),
            )
        except OAuthError as error:
            return _error(error)
        body = {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": issued.scope,
        }
        return JSONResponse(body, headers={"cache-control": "no-store"})

    async def keys(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(token_issuer.jwks, deps))

    async def discovery(request: Request) -> Response:
        issuer = token_issuer.issuer_url(deps)
        document: dict[str, Any] = {
            "issuer": issuer,
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/keys",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }
        return JSONResponse(document)

    return [
        Route("/oauth2/v1/token", token, methods=["POST"]),
        Route("/oauth2/v1/keys", keys, methods=["GET"]),
        Route("/oauth2/v1/.well-known/openid-configuration", discovery, methods=["GET"]),
        Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
    ]
