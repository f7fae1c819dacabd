"""The AWS XKS proxy API v1 of a real strongroom-ekm process, on both back ends."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import httpx
import pytest

from strongroom.crypto.sigv4 import SigV4Credential
from tests.ekm_support import REQUEST_METADATA, EkmProxy
from tests.helpers import b64d, b64e

META = {"requestMetadata": REQUEST_METADATA}
HEALTH = {"requestMetadata": {"kmsRequestId": "r-1", "kmsOperation": "KmsHealthCheck"}}


def assert_xks_error(response: httpx.Response, status: int, name: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errorName"] == name, body
    message = body.get("errorMessage", "")
    assert len(message) < 512 and all(" " <= c <= "~" for c in message)


def xks_encrypt(proxy: EkmProxy, key_id: str, plaintext: bytes, **extra: Any) -> Any:
    body = {**META, "plaintext": b64e(plaintext), "encryptionAlgorithm": "AES_GCM", **extra}
    response = proxy.xks(f"/keys/{key_id}/encrypt", body)
    assert response.status_code == 200, response.text
    return response.json()


def decrypt_body(result: Any, **extra: Any) -> dict[str, Any]:
    body = {
        **META,
        "ciphertext": result["ciphertext"],
        "initializationVector": result["initializationVector"],
        "authenticationTag": result["authenticationTag"],
        "encryptionAlgorithm": "AES_GCM",
        **extra,
    }
    if "ciphertextMetadata" in result:
        body.setdefault("ciphertextMetadata", result["ciphertextMetadata"])
    return body


def test_metadata(proxy: EkmProxy) -> None:
    response = proxy.xks(f"/keys/{proxy.key_ids[0]}/metadata", META)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "keySpec": "AES_256",
        "keyUsage": ["ENCRYPT", "DECRYPT"],
        "keyStatus": "ENABLED",
    }


def test_round_trip_shapes_and_cdiv(proxy: EkmProxy) -> None:
    key_id = proxy.key_ids[0]
    aad = b"project=nile,department=marketing"
    result = xks_encrypt(
        proxy,
        key_id,
        b"Hello World!",
        additionalAuthenticatedData=b64e(aad),
        ciphertextDataIntegrityValueAlgorithm="SHA_256",
    )
    ciphertext, iv, tag = (
        b64d(result[name]) for name in ("ciphertext", "initializationVector", "authenticationTag")
    )
    metadata = b64d(result["ciphertextMetadata"])
    assert len(ciphertext) == len(b"Hello World!")
    assert len(iv) == 12 and len(tag) == 16 and 0 < len(metadata) <= 20
    expected = hashlib.sha256(aad + metadata + iv + ciphertext + tag).digest()
    assert b64d(result["ciphertextDataIntegrityValue"]) == expected
    response = proxy.xks(
        f"/keys/{key_id}/decrypt", decrypt_body(result, additionalAuthenticatedData=b64e(aad))
    )
    assert response.status_code == 200, response.text
    assert b64d(response.json()["plaintext"]) == b"Hello World!"


def test_round_trip_without_aad(proxy: EkmProxy) -> None:
    key_id = proxy.key_ids[0]
    result = xks_encrypt(proxy, key_id, b"\x00" * 4300)
    assert "ciphertextDataIntegrityValue" not in result
    response = proxy.xks(f"/keys/{key_id}/decrypt", decrypt_body(result))
    assert b64d(response.json()["plaintext"]) == b"\x00" * 4300


def _flip(text: str) -> str:
    raw = bytearray(b64d(text))
    raw[0] ^= 0x01
    return b64e(bytes(raw))


@pytest.mark.parametrize(
    "change",
    [
        "ciphertext",
        "initializationVector",
        "authenticationTag",
        "ciphertextMetadata",
        "aad",
        "aad missing",
        "metadata as aad",
        "metadata missing",
        "short iv",
        "short tag",
    ],
)
def test_tampering_is_invalid_ciphertext(proxy: EkmProxy, change: str) -> None:
    key_id = proxy.key_ids[0]
    result = xks_encrypt(proxy, key_id, b"payload", additionalAuthenticatedData=b64e(b"ctx"))
    body = decrypt_body(result, additionalAuthenticatedData=b64e(b"ctx"))
    if change in ("ciphertext", "initializationVector", "authenticationTag", "ciphertextMetadata"):
        body[change] = _flip(body[change])
    elif change == "aad":
        body["additionalAuthenticatedData"] = b64e(b"cty")
    elif change == "aad missing":
        del body["additionalAuthenticatedData"]
    elif change == "metadata as aad":
        body["additionalAuthenticatedData"] = body.pop("ciphertextMetadata")
    elif change == "metadata missing":
        del body["ciphertextMetadata"]
    elif change == "short iv":
        body["initializationVector"] = b64e(b64d(body["initializationVector"])[:8])
    elif change == "short tag":
        body["authenticationTag"] = b64e(b64d(body["authenticationTag"])[:12])
    response = proxy.xks(f"/keys/{key_id}/decrypt", body)
    assert_xks_error(response, 400, "InvalidCiphertextException")


def test_rotation_then_decrypt_old_ciphertext(proxy: EkmProxy) -> None:
    key_id = proxy.create_key()
    old = xks_encrypt(proxy, key_id, b"before rotation")
    proxy.rotate_key(key_id)
    new = xks_encrypt(proxy, key_id, b"after rotation")
    assert old["ciphertextMetadata"] != new["ciphertextMetadata"]
    for result, plaintext in ((old, b"before rotation"), (new, b"after rotation")):
        response = proxy.xks(f"/keys/{key_id}/decrypt", decrypt_body(result))
        assert response.status_code == 200, response.text
        assert b64d(response.json()["plaintext"]) == plaintext


def test_unknown_key(proxy: EkmProxy) -> None:
    result = xks_encrypt(proxy, proxy.key_ids[0], b"x")
    bodies = {
        "metadata": META,
        "encrypt": {**META, "plaintext": "AAAA", "encryptionAlgorithm": "AES_GCM"},
        "decrypt": decrypt_body(result),
    }
    for operation, body in bodies.items():
        response = proxy.xks(f"/keys/no-such-key/{operation}", body)
        assert_xks_error(response, 404, "KeyNotFoundException")


def test_disabled_key(proxy: EkmProxy) -> None:
    key_id = proxy.create_key()
    result = xks_encrypt(proxy, key_id, b"x")
    proxy.disable_key(key_id)
    assert proxy.xks(f"/keys/{key_id}/metadata", META).json()["keyStatus"] == "DISABLED"
    body = {**META, "plaintext": "AAAA", "encryptionAlgorithm": "AES_GCM"}
    assert_xks_error(proxy.xks(f"/keys/{key_id}/encrypt", body), 400, "InvalidStateException")
    response = proxy.xks(f"/keys/{key_id}/decrypt", decrypt_body(result))
    assert_xks_error(response, 400, "InvalidStateException")
    proxy.enable_key(key_id)
    assert proxy.xks(f"/keys/{key_id}/decrypt", decrypt_body(result)).status_code == 200


def test_a_blocked_proxy_refuses_key_operations(proxy: EkmProxy) -> None:
    key_id = proxy.key_ids[0]
    result = xks_encrypt(proxy, key_id, b"before the block")
    body = {**META, "plaintext": "AAAA", "encryptionAlgorithm": "AES_GCM"}
    with proxy.blocked():
        for path, request in (
            (f"/keys/{key_id}/encrypt", body),
            (f"/keys/{key_id}/decrypt", decrypt_body(result)),
            (f"/keys/{key_id}/metadata", META),
        ):
            assert_xks_error(proxy.xks(path, request), 400, "InvalidStateException")
        fleet = proxy.xks("/health", HEALTH).json()["ekmFleetDetails"]
        assert [member["healthStatus"] for member in fleet] == ["UNAVAILABLE"]
    assert proxy.xks(f"/keys/{key_id}/decrypt", decrypt_body(result)).status_code == 200
    assert proxy.xks("/health", HEALTH).json()["ekmFleetDetails"][0]["healthStatus"] == "ACTIVE"


def test_wrong_signatures(proxy: EkmProxy) -> None:
    path = f"/keys/{proxy.key_ids[0]}/metadata"
    wrong_secret = SigV4Credential(proxy.access_key_id, "not-the-secret-at-all")
    unknown_id = SigV4Credential("AKIAUNKNOWNKEY000000", proxy.secret_access_key)
    cases = [
        proxy.xks(path, META, credential=wrong_secret),
        proxy.xks(path, META, credential=unknown_id),
        proxy.xks(path, META, service="kms"),
        proxy.xks(path, META, signed=False),
        proxy.xks(path, META, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=6)),
        proxy.xks(path, META, now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)),
    ]
    for response in cases:
        assert_xks_error(response, 401, "AuthenticationFailedException")
        assert proxy.secret_access_key not in response.text


def test_body_changed_after_signing(proxy: EkmProxy) -> None:
    from strongroom.crypto.sigv4 import sign

    url = proxy.xks_url + f"/keys/{proxy.key_ids[0]}/metadata"
    signed_body = b'{"requestMetadata": {"kmsOperation": "DescribeKey", "kmsRequestId": "1"}}'
    credential = SigV4Credential(proxy.access_key_id, proxy.secret_access_key)
    headers = sign("POST", url, {"Content-Type": "application/json"}, signed_body, credential, "r")
    sent = signed_body.replace(b"DescribeKey", b"DescribeKez")
    with proxy.client() as client:
        response = client.post(url, headers=headers, content=sent)
    assert_xks_error(response, 401, "AuthenticationFailedException")


def test_two_credentials_and_live_rotation(proxy: EkmProxy) -> None:
    path = f"/keys/{proxy.key_ids[0]}/metadata"
    old = SigV4Credential(proxy.access_key_id, proxy.secret_access_key)
    new = SigV4Credential("AKIANEWCREDENTIAL002", "a-fresh-secret-access-key-2")
    proxy.add_xks_credential(new.access_key_id, new.secret_access_key)
    try:
        assert proxy.xks(path, META, credential=old).status_code == 200
        assert proxy.xks(path, META, credential=new).status_code == 200
        proxy.remove_xks_credential(old.access_key_id)
        assert_xks_error(
            proxy.xks(path, META, credential=old), 401, "AuthenticationFailedException"
        )
        assert proxy.xks(path, META, credential=new).status_code == 200
    finally:
        proxy.add_xks_credential(old.access_key_id, old.secret_access_key)
        proxy.remove_xks_credential(new.access_key_id)
    assert proxy.xks(path, META, credential=old).status_code == 200


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[]",
        b"{}",
        b'{"requestMetadata": "x"}',
        b'{"requestMetadata": {"kmsRequestId": 5}}',
    ],
)
def test_malformed_requests(proxy: EkmProxy, raw: bytes) -> None:
    response = proxy.xks(f"/keys/{proxy.key_ids[0]}/metadata", raw=raw)
    assert_xks_error(response, 400, "ValidationException")


@pytest.mark.parametrize(
    "body",
    [
        {"plaintext": 5, "encryptionAlgorithm": "AES_GCM"},
        {"plaintext": "@@@", "encryptionAlgorithm": "AES_GCM"},
        {"encryptionAlgorithm": "AES_GCM"},
        {"plaintext": "AAAA", "encryptionAlgorithm": "AES_CBC"},
        {"plaintext": "AAAA"},
        {"plaintext": "AAAA", "encryptionAlgorithm": "AES_GCM", "additionalAuthenticatedData": 1},
        {
            "plaintext": "AAAA",
            "encryptionAlgorithm": "AES_GCM",
            "ciphertextDataIntegrityValueAlgorithm": "MD5",
        },
    ],
)
def test_invalid_encrypt_parameters(proxy: EkmProxy, body: dict[str, Any]) -> None:
    response = proxy.xks(f"/keys/{proxy.key_ids[0]}/encrypt", {**META, **body})
    assert_xks_error(response, 400, "ValidationException")


def test_invalid_uri_paths(proxy: EkmProxy) -> None:
    for path in ("/keys/k/rotate", "/keys//encrypt", "/other", "/keys/k/encrypt/extra"):
        assert_xks_error(proxy.xks(path, META), 404, "InvalidUriPathException")
    with proxy.client() as client:
        # A GET on an XKS URI is 405 Method Not Allowed, as the spec requires (was 404).
        response = client.get(proxy.xks_url + "/health")
        assert_xks_error(response, 405, "MethodNotAllowedException")
        # Paths outside the XKS base, served through the router's catch-all, answer alike.
        elsewhere = client.post(proxy.base_url + "/elsewhere/kms/xks/v1/health", json=HEALTH)
        assert_xks_error(elsewhere, 404, "InvalidUriPathException")
        unknown = client.post(proxy.base_url + "/unknown", json=HEALTH)
        assert_xks_error(unknown, 404, "InvalidUriPathException")


def test_health(proxy: EkmProxy) -> None:
    response = proxy.xks("/health", HEALTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["xksProxyFleetSize"] >= 1
    assert body["xksProxyVendor"] and body["xksProxyModel"] and body["ekmVendor"]
    assert 1 <= len(body["ekmFleetDetails"]) <= 10
    assert body["ekmFleetDetails"][0]["healthStatus"] == "ACTIVE"
    assert_xks_error(
        proxy.xks("/health", HEALTH, signed=False), 401, "AuthenticationFailedException"
    )
