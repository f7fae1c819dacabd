"""The OCI EKMS vendor API (Strongroom is the client), under ``/v1/vaults/{vaultId}``.

Every call needs ``Authorization: Bearer <JWT>``; errors are ``{"code", "message"}``.
Crypto runs on the event loop (it is fast); only a token not seen before is validated in the
thread pool, because that may fetch the JWKS.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from strongroom.ekm_proxy import formats
from strongroom.ekm_proxy.errors import (
    BackendUnavailable,
    BadRequest,
    EkmError,
    InvalidCiphertext,
    KeyDisabled,
    KeyNotFound,
    KeyUsageNotAllowed,
    Unauthenticated,
    VaultBlocked,
    VaultNotFound,
)
from strongroom.ekm_proxy.parse import (
    b64,
    json_object,
    optional_b64,
    optional_str,
    read_body,
    required_b64,
)
from strongroom.ekm_proxy.state import ProxyState

log = logging.getLogger("strongroom.ekm_proxy")

_STATUS: list[tuple[type[EkmError], int, str]] = [
    (BadRequest, 400, "InvalidParameter"),
    (InvalidCiphertext, 400, "InvalidCiphertext"),
    (KeyUsageNotAllowed, 400, "InvalidKeyUsage"),
    (Unauthenticated, 401, "NotAuthenticated"),
    (VaultNotFound, 404, "VaultNotFound"),
    (KeyNotFound, 404, "KeyNotFound"),
    (KeyDisabled, 409, "KeyDisabled"),
    (VaultBlocked, 409, "VaultBlocked"),
    (BackendUnavailable, 503, "BackendUnavailable"),
]
MAX_PLAINTEXT = 64 * 1024

Handler = Callable[[ProxyState, Request], Awaitable[Any]]


def json_response(body: Any, status: int = 200) -> Response:
    """A JSON response."""
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def error_response(error: EkmError) -> Response:
    """An EKMS ``{code, message}`` error."""
    for kind, status, code in _STATUS:
        if isinstance(error, kind):
            return json_response({"code": code, "message": error.message}, status)
    return json_response({"code": "InternalServerError", "message": "Internal error"}, 500)


async def authenticate(state: ProxyState, request: Request) -> None:
    """Check the bearer token; raises Unauthenticated."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("A bearer token is required")
    validator = state.validator
    if validator is None:
        raise Unauthenticated("This proxy has no identity provider configured")
    if not validator.cached(token):
        await run_in_threadpool(validator.validate, token)


def endpoint(state: ProxyState, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: refresh settings, authenticate, check the vault id, map errors."""

    async def run(request: Request) -> Response:
        try:
            state.refresh()
            await authenticate(state, request)
            if request.path_params["vault_id"] != state.config.vault_id:
                raise VaultNotFound(f"Vault {request.path_params['vault_id']} not found")
            if state.config.blocked and handler is not vault_metadata:
                raise VaultBlocked()
            return json_response(await handler(state, request))
        except EkmError as error:
            return error_response(error)
        except Exception:
            log.exception("unhandled error in %s %s", request.method, request.url.path)
            return json_response({"code": "InternalServerError", "message": "Internal error"}, 500)

    return run


async def vault_metadata(state: ProxyState, request: Request) -> Any:
    return {"vaultId": state.config.vault_id, "state": state.config.vault_state}


async def key_metadata(state: ProxyState, request: Request) -> Any:
    record = state.engine.key(request.path_params["key_id"])
    return {
        "keyId": record.key_id,
        "currentKeyVersionId": record.current_version,
        "keyShape": {"algorithm": "AES", "length": 32},
        "state": "ACTIVE" if record.enabled else "BLOCKED",
    }


async def version_metadata(state: ProxyState, request: Request) -> Any:
    record = state.engine.key(request.path_params["key_id"])
    version = state.engine.version(record, request.path_params["version_id"])
    return {
        "keyId": record.key_id,
        "keyVersionId": version.version_id,
        "state": "ACTIVE" if record.enabled and version.enabled else "BLOCKED",
    }


async def encrypt(state: ProxyState, request: Request) -> Any:
    body = json_object(await read_body(request))
    plaintext = required_b64(body, "plaintext")
    if len(plaintext) > MAX_PLAINTEXT:
        raise BadRequest(f"plaintext must be at most {MAX_PLAINTEXT} bytes")
    version_id = optional_str(body, "keyVersionId")
    aad = optional_b64(body, "aad") or b""
    engine = state.engine
    record, version = engine.for_encrypt(request.path_params["key_id"], version_id)
    nonce, sealed = engine.encrypt(
        record, version, plaintext, formats.ekms_aad(record.key_id, version.version_id, aad)
    )
    return {
        "keyId": record.key_id,
        "keyVersionId": version.version_id,
        "ciphertext": b64(formats.pack_ekms(version.version_id, nonce, sealed)),
    }


async def decrypt(state: ProxyState, request: Request) -> Any:
    body = json_object(await read_body(request))
    blob = required_b64(body, "ciphertext")
    asked = optional_str(body, "keyVersionId")
    aad = optional_b64(body, "aad") or b""
    engine = state.engine
    key_id = request.path_params["key_id"]
    # An unknown key (or one that may not decrypt) is refused even when the ciphertext is garbage.
    engine.key_for(key_id, "decrypt")
    version_id, nonce, sealed = formats.unpack_ekms(blob)
    if asked is not None and asked != version_id:
        raise InvalidCiphertext()
    record, version = engine.for_decrypt(key_id, version_id)
    plaintext = engine.decrypt(
        record, version, nonce, sealed, formats.ekms_aad(record.key_id, version_id, aad)
    )
    return {"keyId": record.key_id, "keyVersionId": version_id, "plaintext": b64(plaintext)}


def health_endpoint(state: ProxyState) -> Callable[[Request], Awaitable[Response]]:
    """``GET /health``: 200 only after a real round trip through the back end, else 503."""

    async def run(request: Request) -> Response:
        state.refresh()
        try:
            details = state.engine.health()
        except BackendUnavailable as error:
            body = {"status": "unavailable", "backend": state.engine.backend.name}
            return json_response({**body, "message": error.message}, 503)
        keys = len(state.engine.keys())
        vault = {"vaultId": state.config.vault_id, "vaultState": state.config.vault_state}
        return json_response({"status": "ok", **details, **vault, "keys": keys})

    return run


def routes(state: ProxyState) -> list[Route]:
    """The EKMS routes and ``GET /health``."""
    vault = "/v1/vaults/{vault_id}"
    key = vault + "/keys/{key_id}"
    return [
        Route("/health", health_endpoint(state), methods=["GET"]),
        Route(vault + "/metadata", endpoint(state, vault_metadata), methods=["GET"]),
        Route(key + "/metadata", endpoint(state, key_metadata), methods=["GET"]),
        Route(
            key + "/keyVersions/{version_id}/metadata",
            endpoint(state, version_metadata),
            methods=["GET"],
        ),
        Route(key + "/encrypt", endpoint(state, encrypt), methods=["POST"]),
        Route(key + "/decrypt", endpoint(state, decrypt), methods=["POST"]),
    ]
