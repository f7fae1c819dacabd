"""In-process fakes of an identity provider, an EKMS vault and an XKS proxy, served through
``httpx.MockTransport`` so tests can shape faults (bad JSON, wrong keys, 500s, slow answers)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx
import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.crypto.providers.ekm_client import (
    EkmConnection,
    EkmProtocol,
    ExternalKeyManagers,
)
from tests.helpers import b64d, b64e

IDP = "https://idp.test"
EKMS_URL = "https://ekms.test/v1/vaults/v1"
XKS_URL = "https://xks.test/kms/xks/v1"
SECRET = "s3cr3t-value"  # a client secret that must never show up in errors

Hook = Callable[[httpx.Request], Awaitable[httpx.Response | None]]


def reply(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, content=orjson.dumps(body))


class Clock:
    """A monotonic clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeKey:
    """An AES key with versions, as both fakes keep them."""

    versions: dict[str, bytes] = field(default_factory=lambda: {"v1": AESGCM.generate_key(256)})
    current: str = "v1"
    enabled: bool = True


@dataclass
class Fakes:
    """The fake network: an IdP, one EKMS vault and one XKS proxy, with counters and hooks."""

    keys: dict[str, FakeKey] = field(default_factory=lambda: {"k1": FakeKey()})
    tokens_issued: int = 0
    token_lifetime: int | None = 3600
    token_delay: float = 0.0
    discovery: dict[str, Any] | None = None
    requests: list[httpx.Request] = field(default_factory=list)
    hook: Hook | None = None  # answers a request instead of the fake when it returns one
    valid_tokens: set[str] = field(default_factory=set)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.hook is not None:
            shaped = await self.hook(request)
            if shaped is not None:
                return shaped
        url = str(request.url)
        if url.startswith(IDP):
            return await self._idp(request, url[len(IDP) :])
        if url.startswith(EKMS_URL):
            return self._ekms(request, url[len(EKMS_URL) :])
        if url.startswith(XKS_URL):
            return self._xks(request, url[len(XKS_URL) :])
        return reply(404, {"code": "NotFound", "message": url})

    # --- identity provider ----------------------------------------------------------------

    async def _idp(self, request: httpx.Request, path: str) -> httpx.Response:
        if path == "/.well-known/openid-configuration":
            return reply(200, self.discovery) if self.discovery else reply(404, {})
        if request.method != "POST":
            return reply(405, {})
        user, _, password = b64d(request.headers["authorization"][6:]).decode().partition(":")
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if unquote(password) != SECRET or unquote(user) != "client":
            return reply(401, {"error": "invalid_client", "error_description": "bad secret"})
        if form.get("scope") != "oci_ekms" or form.get("grant_type") != "client_credentials":
            return reply(400, {"error": "invalid_scope"})
        if self.token_delay:
            await asyncio.sleep(self.token_delay)
        self.tokens_issued += 1
        token = f"token-{self.tokens_issued}-for-{form['audience']}"
        self.valid_tokens.add(token)
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "scope": "oci_ekms"}
        if self.token_lifetime is not None:
            body["expires_in"] = self.token_lifetime
        return reply(200, body)

    # --- EKMS -----------------------------------------------------------------------------

    def _ekms(self, request: httpx.Request, path: str) -> httpx.Response:
        token = request.headers.get("authorization", "")[7:]
        if token not in self.valid_tokens:
            return reply(401, {"code": "NotAuthenticated", "message": "bad token"})
        parts = path.strip("/").split("/")
        if parts == ["metadata"]:
            return reply(200, {"vaultId": "v1", "state": "ACTIVE"})
        key = self.keys.get(parts[1]) if len(parts) >= 3 and parts[0] == "keys" else None
        if key is None:
            return reply(404, {"code": "KeyNotFound", "message": "no key"})
        key_id, op = parts[1], parts[2]
        if op == "metadata":
            return reply(200, _ekms_metadata(key_id, key))
        body = orjson.loads(request.content)
        if not key.enabled:
            return reply(409, {"code": "KeyDisabled", "message": "disabled"})
        version = body.get("keyVersionId") or key.current
        aad = b64d(body["aad"]) if "aad" in body else None
        cipher = AESGCM(key.versions[version])
        if op == "encrypt":
            nonce = os.urandom(12)
            sealed = nonce + cipher.encrypt(nonce, b64d(body["plaintext"]), aad)
            answer = {"keyId": key_id, "keyVersionId": version, "ciphertext": b64e(sealed)}
            return reply(200, answer)
        blob = b64d(body["ciphertext"])
        try:
            plaintext = cipher.decrypt(blob[:12], blob[12:], aad)
        except Exception:
            return reply(400, {"code": "InvalidCiphertext", "message": "no"})
        return reply(200, {"keyId": key_id, "keyVersionId": version, "plaintext": b64e(plaintext)})

    # --- XKS --------------------------------------------------------------------------------

    def _xks(self, request: httpx.Request, path: str) -> httpx.Response:
        if not request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256 "):
            return reply(401, {"errorName": "AuthenticationFailedException"})
        body = orjson.loads(request.content)
        if path == "/health":
            fleet = [{"id": "hsm1", "model": "fake", "healthStatus": "ACTIVE"}]
            return reply(200, {"xksProxyFleetSize": 1, "ekmFleetDetails": fleet})
        _, key_id, op = path.strip("/").split("/")
        key = self.keys.get(key_id)
        if key is None:
            return reply(404, {"errorName": "KeyNotFoundException"})
        if op == "metadata":
            status = "ENABLED" if key.enabled else "DISABLED"
            usage = ["ENCRYPT", "DECRYPT"]
            return reply(200, {"keySpec": "AES_256", "keyUsage": usage, "keyStatus": status})
        if not key.enabled:
            return reply(400, {"errorName": "InvalidStateException"})
        aad_text = body.get("additionalAuthenticatedData")
        aad = b64d(aad_text) if aad_text else None
        if op == "encrypt":
            cipher = AESGCM(key.versions[key.current])
            iv = os.urandom(12)
            sealed = cipher.encrypt(iv, b64d(body["plaintext"]), aad)
            return reply(
                200,
                {
                    "ciphertext": b64e(sealed[:-16]),
                    "authenticationTag": b64e(sealed[-16:]),
                    "initializationVector": b64e(iv),
                    "ciphertextMetadata": b64e(key.current.encode()),
                },
            )
        version = b64d(body["ciphertextMetadata"]).decode()
        cipher = AESGCM(key.versions[version])
        sealed = b64d(body["ciphertext"]) + b64d(body["authenticationTag"])
        try:
            plaintext = cipher.decrypt(b64d(body["initializationVector"]), sealed, aad)
        except Exception:
            return reply(400, {"errorName": "InvalidCiphertextException"})
        return reply(200, {"plaintext": b64e(plaintext)})


def _ekms_metadata(key_id: str, key: FakeKey) -> dict[str, Any]:
    return {
        "keyId": key_id,
        "currentKeyVersionId": key.current,
        "keyShape": {"algorithm": "AES", "length": 32},
        "state": "ACTIVE" if key.enabled else "BLOCKED",
    }


def connection(protocol: EkmProtocol, timeout: float = 0.25) -> EkmConnection:
    """A connection to the fake EKMS vault or XKS proxy."""
    url = EKMS_URL if protocol is EkmProtocol.EKMS else XKS_URL
    return EkmConnection(
        vault_id="ocid1.vault.oc1..test",
        endpoint_url=url,
        protocol=protocol,
        client_id="client",
        client_secret=SECRET,
        idp_url=IDP if protocol is EkmProtocol.EKMS else None,
        timeout_seconds=timeout,
    )


def managers(fakes: Fakes, clock: Clock | None = None) -> ExternalKeyManagers:
    """A client whose network is ``fakes``."""
    return ExternalKeyManagers(
        monotonic=clock or Clock(), transport=httpx.MockTransport(fakes.handle)
    )
