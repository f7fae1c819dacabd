"""The OCI EKMS vendor API, client side: bearer tokens, JSON in camelCase, version-aware."""

from __future__ import annotations

import httpx

from strongroom.crypto.providers.ekm_client.connection import ExternalCiphertext, ExternalKeyInfo
from strongroom.crypto.providers.ekm_client.errors import (
    EkmAuthenticationFailed,
    EkmBadResponse,
    EkmError,
    EkmInvalidCiphertext,
    EkmKeyDisabled,
    EkmKeyNotFound,
    EkmUnavailable,
    EkmVaultBlocked,
)
from strongroom.crypto.providers.ekm_client.http import Answer, ClientPool, call
from strongroom.crypto.providers.ekm_client.route import Route, Target
from strongroom.crypto.providers.ekm_client.tokens import TokenSource
from strongroom.crypto.providers.ekm_client.transport import encode_headers
from strongroom.crypto.providers.ekm_client.wire import (
    Body,
    b64,
    binary,
    code_of,
    dumps,
    error_body,
    json_body,
    text,
)

_GET_HEADERS = {"accept": "application/json"}
_POST_HEADERS = {"accept": "application/json", "content-type": "application/json"}
_MAX_HEADERS = 1024
_GET, _POST = b"GET", b"POST"


class EkmsClient:
    """Calls one EKMS vault (``route.base_url`` is ``{base}/v1/vaults/{ekmVaultId}``)."""

    def __init__(self, pool: ClientPool, tokens: TokenSource) -> None:
        self._pool = pool
        self._tokens = tokens
        self._headers: dict[tuple[str, bool], tuple[dict[str, str], bytes | None]] = {}

    async def key_info(self, route: Route, key_id: str) -> ExternalKeyInfo:
        """The key's metadata; only AES-256 keys are usable."""
        body = await self._call(route, "GET", route.target("metadata", key_id), None, key_id)
        _same_key(route, body, key_id, "metadata")
        state = _state(route, body)
        shape = body.get("keyShape")
        if not isinstance(shape, dict) or (shape.get("algorithm"), shape.get("length")) != (
            "AES",
            32,
        ):
            raise EkmBadResponse(f"{route.label} reports an unsupported key shape (not AES-256)")
        current = text(body, "currentKeyVersionId", route.label)
        return ExternalKeyInfo(key_id, state == "ACTIVE", current, "AES", 32)

    async def encrypt(
        self, route: Route, key_id: str, version_id: str | None, plaintext: bytes, aad: bytes
    ) -> ExternalCiphertext:
        """Encrypt under the key's current version, or ``version_id`` when given."""
        request: Body = {"plaintext": b64(plaintext)}
        if version_id is not None:
            request["keyVersionId"] = version_id
        if aad:
            request["aad"] = b64(aad)
        url = route.target("encrypt", key_id)
        body = await self._call(route, "POST", url, request, key_id, version_id)
        used = _same_key(route, body, key_id, "a ciphertext", version_id)
        return ExternalCiphertext(used, binary(body, "ciphertext", route.label))

    async def decrypt(
        self, route: Route, key_id: str, version_id: str | None, blob: bytes, aad: bytes
    ) -> bytes:
        """Decrypt what :meth:`encrypt` returned for the same key, version and ``aad``."""
        if version_id is None:
            raise EkmInvalidCiphertext("The ciphertext names no EKM key version")
        request: Body = {"ciphertext": b64(blob), "keyVersionId": version_id}
        if aad:
            request["aad"] = b64(aad)
        url = route.target("decrypt", key_id)
        body = await self._call(route, "POST", url, request, key_id, version_id, decrypt=True)
        _same_key(route, body, key_id, "a plaintext", version_id)
        return binary(body, "plaintext", route.label)

    async def vault_state(self, route: Route) -> str:
        """ACTIVE or BLOCKED, as the EKM's vault metadata says."""
        body = await self._call(route, "GET", route.target("metadata"), None, None)
        return _state(route, body)

    async def _call(
        self,
        route: Route,
        method: str,
        url: Target,
        request: Body | None,
        key_id: str | None,
        version_id: str | None = None,
        decrypt: bool = False,
    ) -> Body:
        """Send with a bearer token; a 401 drops the token and retries once with a fresh one."""
        content = None if request is None else dumps(request)
        retry = method == "GET" or decrypt
        token = await self._tokens.token(route)
        response = await self._send(route, method, url, content, token, retry)
        if response.status_code == 401:
            self._tokens.drop(route, token)
            token = await self._tokens.token(route)
            response = await self._send(route, method, url, content, token, retry)
        if response.status_code != 200:
            raise _failure(route, response, key_id, version_id, decrypt)
        return json_body(response, route.label)

    async def _send(
        self,
        route: Route,
        method: str,
        url: Target,
        content: bytes | None,
        token: str,
        retry: bool,
    ) -> Answer:
        headers, wire = self._headers_for(token, content is None)
        verb = _GET if method == "GET" else _POST
        return await call(self._pool, route, verb, url, headers, content, retry, wire)

    def _headers_for(self, token: str, get: bool) -> tuple[dict[str, str], bytes | None]:
        """Request headers with the bearer token, and their wire form, built once per token."""
        headers = self._headers.get((token, get))
        if headers is None:
            if len(self._headers) >= _MAX_HEADERS:
                self._headers.clear()
            values = {
                **(_GET_HEADERS if get else _POST_HEADERS),
                "authorization": f"Bearer {token}",
            }
            try:
                wire: bytes | None = encode_headers(values.items())
            except httpx.LocalProtocolError:
                wire = None  # call() encodes it again and reports the fault
            headers = self._headers[(token, get)] = (values, wire)
        return headers


def _state(route: Route, body: Body) -> str:
    state = text(body, "state", route.label)
    if state not in ("ACTIVE", "BLOCKED"):
        raise EkmBadResponse(f"{route.label} reports an unknown state")
    return state


def _same_key(
    route: Route, body: Body, key_id: str, what: str, version_id: str | None = None
) -> str | None:
    """Check the answer names the key (and version) asked for; return the version it names."""
    if text(body, "keyId", route.label) != key_id:
        raise EkmBadResponse(f"{route.label} returned {what} for another key")
    if what == "metadata":
        return None
    used = text(body, "keyVersionId", route.label)
    if version_id is not None and used != version_id:
        raise EkmBadResponse(f"{route.label} returned {what} for another key version")
    return used


def _failure(
    route: Route,
    response: Answer,
    key_id: str | None,
    version_id: str | None,
    decrypt: bool,
) -> EkmError:
    """The error for a non-200 answer."""
    status = response.status_code
    code = code_of(error_body(response), "code")
    label = route.label
    detail = f"HTTP {status} {code}" if code else f"HTTP {status}"
    if status == 404:
        what = f"key '{key_id}'" if key_id is not None and code != "VaultNotFound" else "vault"
        return EkmKeyNotFound(f"{label} has no such {what}")
    if code == "VaultBlocked":
        return EkmVaultBlocked(f"{label} reports the vault BLOCKED")
    if status == 409 or code == "KeyDisabled":
        version = f"version '{version_id}' of " if version_id else ""
        return EkmKeyDisabled(f"The EKM reports {version}external key '{key_id}' disabled")
    if status == 400 and (decrypt or code == "InvalidCiphertext"):
        return EkmInvalidCiphertext(
            "The EKM could not decrypt: the ciphertext or its associated data is invalid"
        )
    if status in (401, 403):
        return EkmAuthenticationFailed(f"{label} refused Strongroom's token ({code or status})")
    if status == 429 or status >= 500:
        return EkmUnavailable(f"{label} answered {detail}")
    return EkmBadResponse(f"{label} rejected the request ({detail})")
