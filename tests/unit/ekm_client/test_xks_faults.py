"""XKS requests as the spec shapes them (SigV4, requestMetadata, AES_GCM), and the proxy's
faults: other key specs, disabled keys, errors by name, malformed or inconsistent answers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import orjson
import pytest

from strongroom.crypto import sigv4
from strongroom.crypto.providers.ekm_client import (
    EkmAuthenticationFailed,
    EkmBadResponse,
    EkmError,
    EkmInvalidCiphertext,
    EkmKeyDisabled,
    EkmKeyNotFound,
    EkmProtocol,
    EkmUnavailable,
)
from strongroom.crypto.providers.ekm_client.xks_blob import unpack
from tests.helpers import b64e
from tests.unit.ekm_client.fakes import SECRET, XKS_URL, FakeKey, Fakes, connection, managers, reply

pytestmark = pytest.mark.anyio
CONN = replace(connection(EkmProtocol.XKS), region="eu-frankfurt-1")


def _answer(path_end: str, status: int, body: Any) -> Fakes:
    fakes = Fakes()

    async def hook(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith(path_end):
            if isinstance(body, bytes):
                return httpx.Response(status, content=body)
            return reply(status, body)
        return None

    fakes.hook = hook
    return fakes


async def test_requests_are_sigv4_signed_with_request_metadata() -> None:
    fakes = Fakes()
    client = managers(fakes)
    sealed = await client.encrypt(CONN, "k1", None, b"pt", b"ad", key_ref="ocid1.key.oc1..k")
    request = fakes.requests[-1]
    assert str(request.url) == f"{XKS_URL}/keys/k1/encrypt"
    signer = sigv4.verify(
        "POST",
        request.url.raw_path.decode(),
        "",
        dict(request.headers),
        request.content,
        {"client": SECRET},
        "eu-frankfurt-1",
    )
    assert signer == "client"
    body = orjson.loads(request.content)
    metadata = body.pop("requestMetadata")
    assert metadata["kmsOperation"] == "Encrypt"
    assert (
        metadata["kmsKeyArn"]
        == f"arn:strongroom:kms:eu-frankfurt-1:{CONN.vault_id}:key/ocid1.key.oc1..k"
    )
    assert metadata["awsPrincipalArn"] == f"arn:strongroom:iam::{CONN.vault_id}:service/strongroom"
    assert len(metadata["kmsRequestId"]) == 36
    assert body == {
        "plaintext": b64e(b"pt"),
        "encryptionAlgorithm": "AES_GCM",
        "additionalAuthenticatedData": b64e(b"ad"),
    }
    assert sealed.external_version_id is None
    assert unpack(sealed.blob).metadata == b"v1"


async def test_decrypt_passes_everything_back_and_survives_rotation() -> None:
    fakes = Fakes()
    client = managers(fakes)
    sealed = await client.encrypt(CONN, "k1", None, b"secret", b"ctx")
    key = fakes.keys["k1"]
    key.versions["v2"] = bytes(32)
    key.current = "v2"
    assert await client.decrypt(CONN, "k1", None, sealed.blob, b"ctx") == b"secret"
    body = orjson.loads(fakes.requests[-1].content)
    parts = unpack(sealed.blob)
    assert body["requestMetadata"]["kmsOperation"] == "Decrypt"
    assert body["ciphertextMetadata"] == b64e(b"v1")
    assert body["initializationVector"] == b64e(parts.iv)
    assert body["authenticationTag"] == b64e(parts.tag)
    assert body["encryptionAlgorithm"] == "AES_GCM"
    with pytest.raises(EkmInvalidCiphertext):
        await client.decrypt(CONN, "k1", None, sealed.blob, b"other")
    with pytest.raises(EkmInvalidCiphertext):
        await client.decrypt(CONN, "k1", None, b"\x09garbage", b"ctx")


async def test_key_info_and_a_disabled_key() -> None:
    fakes = Fakes(keys={"k1": FakeKey(), "off": FakeKey(enabled=False)})
    client = managers(fakes)
    info = await client.key_info(CONN, "k1")
    assert (info.key_id, info.enabled, info.current_version_id) == ("k1", True, None)
    assert (info.algorithm, info.length_bytes) == ("AES", 32)
    assert (await client.key_info(CONN, "off")).enabled is False
    with pytest.raises(EkmKeyDisabled):
        await client.encrypt(CONN, "off", None, b"x", b"")
    with pytest.raises(EkmKeyNotFound):
        await client.encrypt(CONN, "nope", None, b"x", b"")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"keySpec": "RSA_2048", "keyUsage": ["ENCRYPT"], "keyStatus": "ENABLED"}, "key spec"),
        ({"keySpec": "AES_256", "keyUsage": ["SIGN"], "keyStatus": "ENABLED"}, "cannot encrypt"),
        ({"keySpec": "AES_256", "keyStatus": "MAYBE"}, "unknown key status"),
        ({"keyStatus": "ENABLED"}, "'keySpec'"),
    ],
)
async def test_unusable_key_metadata_is_a_bad_response(body: Any, says: str) -> None:
    with pytest.raises(EkmBadResponse, match=says):
        await managers(_answer("/metadata", 200, body)).key_info(CONN, "k1")


GOOD = {
    "ciphertext": b64e(b"xx"),
    "initializationVector": b64e(bytes(12)),
    "authenticationTag": b64e(bytes(16)),
}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not json", "not JSON"),
        ({**GOOD, "ciphertext": "!!"}, "not valid base64"),
        ({**GOOD, "initializationVector": b64e(bytes(5))}, "bad length"),
        ({**GOOD, "authenticationTag": b64e(bytes(12))}, "bad length"),
        ({**GOOD, "ciphertextMetadata": b64e(bytes(21))}, "over 20 bytes"),
        ({**GOOD, "ciphertextMetadata": 5}, "'ciphertextMetadata'"),
        ({**GOOD, "ciphertext": b64e(b"xxx")}, "wrong length"),
        ({k: v for k, v in GOOD.items() if k != "authenticationTag"}, "'authenticationTag'"),
    ],
)
async def test_malformed_encrypt_answers_are_bad_responses(body: Any, says: str) -> None:
    with pytest.raises(EkmBadResponse, match=says) as caught:
        await managers(_answer("/encrypt", 200, body)).encrypt(CONN, "k1", None, b"pt", b"")
    assert SECRET not in caught.value.message


@pytest.mark.parametrize(
    ("status", "name", "error"),
    [
        (400, "ValidationException", EkmBadResponse),
        (400, "InvalidStateException", EkmKeyDisabled),
        (400, "InvalidKeyUsageException", EkmBadResponse),
        (401, "AuthenticationFailedException", EkmAuthenticationFailed),
        (403, "AccessDeniedException", EkmAuthenticationFailed),
        (404, "KeyNotFoundException", EkmKeyNotFound),
        (404, "InvalidUriPathException", EkmBadResponse),
        (429, "ThrottlingException", EkmUnavailable),
        (500, "InternalException", EkmUnavailable),
        (501, "UnsupportedOperationException", EkmUnavailable),
        (503, "DependencyTimeoutException", EkmUnavailable),
    ],
)
async def test_errors_by_name(status: int, name: str, error: type[EkmError]) -> None:
    fakes = _answer("/encrypt", status, {"errorName": name, "errorMessage": "details"})
    with pytest.raises(error) as caught:
        await managers(fakes).encrypt(CONN, "k1", None, b"pt", b"")
    assert type(caught.value) is error


async def test_a_validation_error_on_decrypt_is_an_invalid_ciphertext() -> None:
    fakes = Fakes()
    client = managers(fakes)
    sealed = await client.encrypt(CONN, "k1", None, b"pt", b"")
    fakes.hook = _answer("/decrypt", 400, {"errorName": "ValidationException"}).hook
    with pytest.raises(EkmInvalidCiphertext):
        await client.decrypt(CONN, "k1", None, sealed.blob, b"")


async def test_a_plaintext_of_the_wrong_length_is_a_bad_response() -> None:
    fakes = Fakes()
    client = managers(fakes)
    sealed = await client.encrypt(CONN, "k1", None, b"pt", b"")
    fakes.hook = _answer("/decrypt", 200, {"plaintext": b64e(b"longer")}).hook
    with pytest.raises(EkmBadResponse, match="wrong length"):
        await client.decrypt(CONN, "k1", None, sealed.blob, b"")


@pytest.mark.parametrize(
    ("statuses", "state"),
    [
        (["UNAVAILABLE", "ACTIVE"], "ACTIVE"),
        (["DEGRADED"], "ACTIVE"),
        (["UNAVAILABLE"], "UNREACHABLE"),
        ([], "UNREACHABLE"),
    ],
)
async def test_health_follows_the_fleet(statuses: list[str], state: str) -> None:
    fleet = [{"id": str(i), "model": "m", "healthStatus": s} for i, s in enumerate(statuses)]
    fakes = _answer("/health", 200, {"xksProxyFleetSize": 1, "ekmFleetDetails": fleet})
    health = await managers(fakes).vault_health(CONN)
    assert health.state == state
    request = fakes.requests[-1]
    metadata = orjson.loads(request.content)["requestMetadata"]
    assert metadata["kmsOperation"] == "KmsHealthCheck"


async def test_health_without_a_fleet_is_unreachable() -> None:
    health = await managers(_answer("/health", 200, {"xksProxyFleetSize": 1})).vault_health(CONN)
    assert health.state == "UNREACHABLE"
    assert "ekmFleetDetails" in health.detail
