"""The AWS XKS proxy API v1 under ``{uriPrefix}/kms/xks/v1`` (SigV4 service kms-xks-proxy).

All calls are POST with JSON bodies carrying ``requestMetadata``; errors are
``{"errorName", "errorMessage"}`` as the spec lists them. The key version used is returned in
``ciphertextMetadata`` (authenticated through the AES-GCM associated data), so ciphertexts made
before a rotation still decrypt.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from strongroom import __version__
from strongroom.crypto.sigv4 import SigV4Error, verify
from strongroom.ekm_proxy import formats
from strongroom.ekm_proxy.backends.base import NONCE_BYTES, TAG_BYTES
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
)
from strongroom.ekm_proxy.keystore import usage_list
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

API_PATH = "/kms/xks/v1"
MAX_AAD = 8192
MAX_METADATA = 20
_ERRORS: list[tuple[type[EkmError], int, str]] = [
    (BadRequest, 400, "ValidationException"),
    (KeyDisabled, 400, "InvalidStateException"),
    (VaultBlocked, 400, "InvalidStateException"),
    (InvalidCiphertext, 400, "InvalidCiphertextException"),
    (KeyUsageNotAllowed, 400, "InvalidKeyUsageException"),
    (Unauthenticated, 401, "AuthenticationFailedException"),
    (KeyNotFound, 404, "KeyNotFoundException"),
    (BackendUnavailable, 503, "DependencyTimeoutException"),
]


# requestMetadata fields the specification marks REQUIRED, per XKS call (kmsKeyArn is OPTIONAL
# for GetKeyMetadata: KMS omits it when the call serves CreateKey). Other fields it names must be
# strings when present; fields it does not name are accepted whatever their type (the spec
# reserves new ones).
_REQUIRED_METADATA: dict[str, tuple[str, ...]] = {
    "health": ("kmsRequestId", "kmsOperation"),
    "metadata": ("kmsRequestId", "kmsOperation", "awsPrincipalArn"),
    "encrypt": ("kmsRequestId", "kmsOperation", "awsPrincipalArn", "kmsKeyArn"),
    "decrypt": ("kmsRequestId", "kmsOperation", "awsPrincipalArn", "kmsKeyArn"),
}
_OPTIONAL_METADATA = ("awsSourceVpc", "awsSourceVpce", "kmsViaService", "kmsKeyArn")
_USAGE_NAMES = {"encrypt": "ENCRYPT", "decrypt": "DECRYPT"}


class InvalidUriPath(EkmError):
    """The path is not an XKS API path of this proxy."""


class MethodNotAllowed(EkmError):
    """An XKS API path called with a method other than POST (the spec requires 405)."""


def xks_error(status: int, name: str, message: str) -> Response:
    """An XKS ``{errorName, errorMessage}`` error (message printable ASCII, < 512 chars)."""
    text = "".join(c for c in message if " " <= c <= "~")[:500]
    body = orjson.dumps({"errorName": name, "errorMessage": text})
    return Response(body, status_code=status, media_type="application/json")


def _error_response(error: EkmError) -> Response:
    if isinstance(error, InvalidUriPath):
        return xks_error(404, "InvalidUriPathException", error.message)
    if isinstance(error, MethodNotAllowed):
        response = xks_error(405, "MethodNotAllowedException", error.message)
        response.headers["allow"] = "POST"
        return response
    for kind, status, name in _ERRORS:
        if isinstance(error, kind):
            return xks_error(status, name, error.message)
    return xks_error(500, "InternalException", "Internal error")


def _ok(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def _operation(state: ProxyState, path: str) -> tuple[str, str | None]:
    base = state.config.xks.uri_prefix + API_PATH
    if not path.startswith(base + "/"):
        raise InvalidUriPath(f"{path} is not an XKS API path of this proxy")
    parts = path[len(base) + 1 :].split("/")
    if parts == ["health"]:
        return "health", None
    if len(parts) == 3 and parts[0] == "keys" and parts[1] and parts[2] in _KEY_OPERATIONS:
        return parts[2], parts[1]
    raise InvalidUriPath(f"{path} is not an XKS API path")


def _authenticate(state: ProxyState, request: Request, body: bytes) -> None:
    credentials = state.config.xks.credentials
    if not credentials:
        raise Unauthenticated("No SigV4 credentials are configured on this proxy")
    try:
        verify(
            request.method,
            request.scope["raw_path"].decode("latin-1"),
            request.scope.get("query_string", b"").decode("latin-1"),
            request.headers,
            body,
            credentials,
            state.config.xks.region,
        )
    except SigV4Error as error:
        raise Unauthenticated(f"SigV4 authentication failed: {error.reason}") from None


def _request_body(raw: bytes, operation: str) -> dict[str, Any]:
    body = json_object(raw)
    metadata = body.get("requestMetadata")
    if not isinstance(metadata, dict):
        raise BadRequest("requestMetadata must be an object")
    for name in _REQUIRED_METADATA[operation]:
        if not isinstance(metadata.get(name), str):
            raise BadRequest(f"requestMetadata.{name} is required and must be a string")
    for name in _OPTIONAL_METADATA:
        value = metadata.get(name)
        if value is not None and not isinstance(value, str):
            raise BadRequest(f"requestMetadata.{name} must be a string")
    return body


def _algorithm(body: dict[str, Any]) -> None:
    if optional_str(body, "encryptionAlgorithm") != "AES_GCM":
        raise BadRequest("encryptionAlgorithm must be AES_GCM")


def _aad(body: dict[str, Any]) -> bytes | None:
    aad = optional_b64(body, "additionalAuthenticatedData")
    if aad is not None and len(aad) > MAX_AAD:
        raise BadRequest(f"additionalAuthenticatedData must be at most {MAX_AAD} bytes")
    return aad


def metadata(state: ProxyState, key_id: str, body: dict[str, Any]) -> Any:
    record = state.engine.key(key_id)
    return {
        "keySpec": "AES_256",
        "keyUsage": [_USAGE_NAMES[name] for name in usage_list(record.usage)],
        "keyStatus": "ENABLED" if record.enabled else "DISABLED",
    }


def encrypt(state: ProxyState, key_id: str, body: dict[str, Any]) -> Any:
    plaintext = required_b64(body, "plaintext")
    _algorithm(body)
    aad = _aad(body)
    cdiv_algorithm = optional_str(body, "ciphertextDataIntegrityValueAlgorithm")
    if cdiv_algorithm not in (None, "SHA_256"):
        raise BadRequest("ciphertextDataIntegrityValueAlgorithm must be SHA_256")
    record, version = state.engine.for_encrypt(key_id, None)
    meta = formats.xks_metadata(version.version_id)
    nonce, sealed = state.engine.encrypt(record, version, plaintext, formats.xks_aad(aad, meta))
    ciphertext, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
    out = {
        "ciphertext": b64(ciphertext),
        "ciphertextMetadata": b64(meta),
        "initializationVector": b64(nonce),
        "authenticationTag": b64(tag),
    }
    if cdiv_algorithm is not None:
        out["ciphertextDataIntegrityValue"] = b64(formats.cdiv(aad, meta, nonce, ciphertext, tag))
    return out


def decrypt(state: ProxyState, key_id: str, body: dict[str, Any]) -> Any:
    ciphertext = required_b64(body, "ciphertext")
    nonce = required_b64(body, "initializationVector")
    tag = required_b64(body, "authenticationTag")
    _algorithm(body)
    aad = _aad(body)
    meta = optional_b64(body, "ciphertextMetadata")
    if meta is not None and len(meta) > MAX_METADATA:
        raise BadRequest(f"ciphertextMetadata must be at most {MAX_METADATA} bytes")
    state.engine.key_for(key_id, "decrypt")
    if meta is None or len(nonce) != NONCE_BYTES or len(tag) != TAG_BYTES:
        raise InvalidCiphertext()
    record, version = state.engine.for_decrypt(key_id, formats.parse_xks_metadata(meta))
    plaintext = state.engine.decrypt(
        record, version, nonce, ciphertext + tag, formats.xks_aad(aad, meta)
    )
    return {"plaintext": b64(plaintext)}


def health(state: ProxyState, body: dict[str, Any]) -> Any:
    details = state.engine.health()
    backend = details["backend"]
    return {
        "xksProxyFleetSize": 1,
        "xksProxyVendor": "Strongroom",
        "xksProxyModel": f"strongroom-ekm {__version__}",
        "ekmVendor": "SoftHSM project" if backend == "softhsm" else "Strongroom",
        "ekmFleetDetails": [
            {
                "id": details.get("token", backend),
                "model": "SoftHSM v2" if backend == "softhsm" else "software keystore",
                # XKS has no vault state: a blocked proxy has no EKM available behind it.
                "healthStatus": "UNAVAILABLE" if state.config.blocked else "ACTIVE",
            }
        ],
    }


_KEY_OPERATIONS: dict[str, Callable[[ProxyState, str, dict[str, Any]], Any]] = {
    "metadata": metadata,
    "encrypt": encrypt,
    "decrypt": decrypt,
}


def asgi_app(state: ProxyState) -> ASGIApp:
    """:func:`endpoint` as a plain ASGI app, for serving XKS calls ahead of the router."""
    run = endpoint(state)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await run(Request(scope, receive))
        await response(scope, receive, send)

    return app


def endpoint(state: ProxyState) -> Callable[[Request], Awaitable[Response]]:
    """The catch-all endpoint serving every XKS path (and 404 for anything else)."""

    async def run(request: Request) -> Response:
        try:
            state.refresh()
            # scope's path, not request.url: building a URL costs more than the AES-GCM.
            operation, key_id = _operation(state, request.scope["path"])
            if request.method != "POST":
                raise MethodNotAllowed(f"XKS API calls are POST, not {request.method}")
            raw = await read_body(request)
            _authenticate(state, request, raw)
            body = _request_body(raw, operation)
            if key_id is None:
                return _ok(health(state, body))
            if state.config.blocked:
                raise VaultBlocked()
            return _ok(_KEY_OPERATIONS[operation](state, key_id, body))
        except EkmError as error:
            return _error_response(error)
        except Exception:
            log.exception("unhandled error in %s %s", request.method, request.url.path)
            return xks_error(500, "InternalException", "Internal error")

    return run
