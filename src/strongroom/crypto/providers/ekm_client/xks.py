"""The AWS XKS proxy API v1, client side: SigV4-signed JSON POSTs, AES-GCM only."""

from __future__ import annotations

import os

from strongroom.crypto.providers.ekm_client.connection import (
    ExternalCiphertext,
    ExternalKeyInfo,
    HealthState,
)
from strongroom.crypto.providers.ekm_client.errors import (
    EkmAuthenticationFailed,
    EkmBadResponse,
    EkmError,
    EkmInvalidCiphertext,
    EkmKeyDisabled,
    EkmKeyNotFound,
    EkmUnavailable,
)
from strongroom.crypto.providers.ekm_client.http import Answer, ClientPool, call
from strongroom.crypto.providers.ekm_client.route import Route, Target
from strongroom.crypto.providers.ekm_client.wire import (
    Body,
    b64,
    binary,
    code_of,
    dumps,
    error_body,
    json_body,
    optional_text,
    text,
    unb64,
)
from strongroom.crypto.providers.ekm_client.xks_blob import XksCiphertext, pack, unpack

ALGORITHM = "AES_GCM"
_HEADERS = {"content-type": "application/json", "accept": "application/json"}
_IV_LENGTHS = (12, 16)
_TAG_LENGTH = 16
_MAX_METADATA = 20


class XksClient:
    """Calls one XKS proxy (``route.base_url`` ends with ``/kms/xks/v1``)."""

    def __init__(self, pool: ClientPool) -> None:
        self._pool = pool

    async def key_info(self, route: Route, key_id: str) -> ExternalKeyInfo:
        """The key's metadata; only AES_256 keys that encrypt and decrypt are usable."""
        request = {"requestMetadata": _metadata(route, "DescribeKey")}
        body = await self._call(route, route.target("metadata", key_id), request, key_id, True)
        if text(body, "keySpec", route.label) != "AES_256":
            raise EkmBadResponse(f"{route.label} reports an unsupported key spec (not AES_256)")
        status = text(body, "keyStatus", route.label)
        if status not in ("ENABLED", "DISABLED"):
            raise EkmBadResponse(f"{route.label} reports an unknown key status")
        usage = body.get("keyUsage")
        if isinstance(usage, list) and not {"ENCRYPT", "DECRYPT"} <= set(usage):
            raise EkmBadResponse(f"{route.label} reports a key that cannot encrypt and decrypt")
        return ExternalKeyInfo(key_id, status == "ENABLED", None, "AES", 32)

    async def encrypt(
        self, route: Route, key_id: str, plaintext: bytes, aad: bytes, key_ref: str | None
    ) -> ExternalCiphertext:
        """AES-GCM under the key's current material; the blob keeps iv, tag and metadata."""
        request: Body = {
            "requestMetadata": _metadata(route, "Encrypt", key_id, key_ref),
            "plaintext": b64(plaintext),
            "encryptionAlgorithm": ALGORITHM,
        }
        if aad:
            request["additionalAuthenticatedData"] = b64(aad)
        body = await self._call(route, route.target("encrypt", key_id), request, key_id, False)
        parts = _encrypted(route, body)
        if len(parts.ciphertext) != len(plaintext):
            raise EkmBadResponse(f"{route.label} returned a ciphertext of the wrong length")
        return ExternalCiphertext(None, pack(parts))

    async def decrypt(
        self, route: Route, key_id: str, blob: bytes, aad: bytes, key_ref: str | None
    ) -> bytes:
        """Decrypt what :meth:`encrypt` returned for the same key and ``aad``."""
        parts = unpack(blob)
        request: Body = {
            "requestMetadata": _metadata(route, "Decrypt", key_id, key_ref),
            "ciphertext": b64(parts.ciphertext),
            "initializationVector": b64(parts.iv),
            "authenticationTag": b64(parts.tag),
            "encryptionAlgorithm": ALGORITHM,
        }
        if parts.metadata:
            request["ciphertextMetadata"] = b64(parts.metadata)
        if aad:
            request["additionalAuthenticatedData"] = b64(aad)
        url = route.target("decrypt", key_id)
        body = await self._call(route, url, request, key_id, True, decrypt=True)
        plaintext = binary(body, "plaintext", route.label)
        if len(plaintext) != len(parts.ciphertext):
            raise EkmBadResponse(f"{route.label} returned a plaintext of the wrong length")
        return plaintext

    async def health(self, route: Route) -> tuple[HealthState, str]:
        """(ACTIVE or UNREACHABLE, detail) from the proxy's EKM fleet report."""
        request = {"requestMetadata": _metadata(route, "KmsHealthCheck", health=True)}
        body = await self._call(route, route.target("health"), request, None, True)
        fleet = body.get("ekmFleetDetails")
        if not isinstance(fleet, list):
            raise EkmBadResponse(f"{route.label} returned a response without 'ekmFleetDetails'")
        states = {m.get("healthStatus") for m in fleet if isinstance(m, dict)}
        if "ACTIVE" in states:
            return "ACTIVE", f"{route.label} is healthy"
        if "DEGRADED" in states:
            return "ACTIVE", f"{route.label} reports its EKM fleet DEGRADED"
        return "UNREACHABLE", f"{route.label} reports no available EKM behind it"

    async def _call(
        self,
        route: Route,
        url: Target,
        request: Body,
        key_id: str | None,
        retry: bool,
        decrypt: bool = False,
    ) -> Body:
        content = dumps(request)
        signer = route.signer
        assert signer is not None  # every XKS route has one (route.make_route)
        headers = signer.sign("POST", url.text, _HEADERS, content)
        response = await call(self._pool, route, b"POST", url, headers, content, retry)
        if response.status_code != 200:
            raise _failure(route, response, key_id, decrypt)
        return json_body(response, route.label)


def _metadata(
    route: Route,
    operation: str,
    key_id: str | None = None,
    key_ref: str | None = None,
    health: bool = False,
) -> Body:
    """requestMetadata with every field the XKS spec marks REQUIRED for the call: who asks
    (the Strongroom vault, as :func:`principal_arn`), for which operation and key
    (:func:`key_arn`); health checks carry only the request id and the operation."""
    metadata: Body = {"kmsOperation": operation, "kmsRequestId": _request_id()}
    if not health:
        metadata["awsPrincipalArn"] = principal_arn(route.conn.vault_id)
    if key_id is not None:
        metadata["kmsKeyArn"] = key_arn(route.conn.region, route.conn.vault_id, key_id, key_ref)
    return metadata


def principal_arn(vault_id: str) -> str:
    """``arn:strongroom:iam::<vault-ocid>:service/strongroom``: Strongroom acting for a vault."""
    return f"arn:strongroom:iam::{vault_id}:service/strongroom"


def key_arn(region: str, vault_id: str, external_key_id: str, key_ref: str | None) -> str:
    """``arn:strongroom:kms:<region>:<vault-ocid>:key/<key-ocid>`` for a Strongroom key, or
    ``...:external-key/<external-key-id>`` when the Strongroom key is not known."""
    resource = f"key/{key_ref}" if key_ref else f"external-key/{external_key_id}"
    return f"arn:strongroom:kms:{region}:{vault_id}:{resource}"


def _request_id() -> str:
    """A random (version 4) UUID as text, as ``str(uuid.uuid4())`` but in half the time."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _encrypted(route: Route, body: Body) -> XksCiphertext:
    label = route.label
    metadata_text = optional_text(body, "ciphertextMetadata", label)
    metadata = b"" if metadata_text is None else unb64(metadata_text, "ciphertextMetadata", label)
    parts = XksCiphertext(
        ciphertext=binary(body, "ciphertext", label),
        iv=binary(body, "initializationVector", label),
        tag=binary(body, "authenticationTag", label),
        metadata=metadata,
    )
    if len(parts.iv) not in _IV_LENGTHS or len(parts.tag) != _TAG_LENGTH:
        raise EkmBadResponse(f"{label} returned an initialization vector or tag of a bad length")
    if len(parts.metadata) > _MAX_METADATA:
        raise EkmBadResponse(f"{label} returned ciphertextMetadata over {_MAX_METADATA} bytes")
    return parts


def _failure(route: Route, response: Answer, key_id: str | None, decrypt: bool) -> EkmError:
    """The error for a non-200 answer ({errorName, errorMessage} bodies)."""
    status = response.status_code
    name = code_of(error_body(response), "errorName")
    label = route.label
    detail = f"HTTP {status} {name}" if name else f"HTTP {status}"
    if name == "KeyNotFoundException" or (status == 404 and name != "InvalidUriPathException"):
        return EkmKeyNotFound(f"{label} has no such key '{key_id}'")
    if name == "InvalidStateException":
        return EkmKeyDisabled(f"The EKM reports external key '{key_id}' disabled")
    if status == 400 and (
        name == "InvalidCiphertextException" or (decrypt and name == "ValidationException")
    ):
        return EkmInvalidCiphertext(
            "The EKM could not decrypt: the ciphertext or its associated data is invalid"
        )
    if status in (401, 403):
        return EkmAuthenticationFailed(f"{label} refused Strongroom's SigV4 signature ({detail})")
    if status == 429 or status >= 500:
        return EkmUnavailable(f"{label} answered {detail}")
    return EkmBadResponse(f"{label} rejected the request ({detail})")
