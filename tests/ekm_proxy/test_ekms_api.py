"""The EKMS vendor API of a real strongroom-ekm process, on both back ends."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.ekm_support import EkmProxy
from tests.helpers import b64d, b64e
from tests.idp_support import LocalIdp


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body


def encrypt(proxy: EkmProxy, token: str, key_id: str, plaintext: bytes, **extra: Any) -> Any:
    body = {"plaintext": b64e(plaintext), **extra}
    response = proxy.ekms("POST", f"/keys/{key_id}/encrypt", token, body)
    assert response.status_code == 200, response.text
    return response.json()


def decrypt(proxy: EkmProxy, token: str, key_id: str, result: Any, **extra: Any) -> httpx.Response:
    body = {"ciphertext": result["ciphertext"], "keyVersionId": result["keyVersionId"], **extra}
    return proxy.ekms("POST", f"/keys/{key_id}/decrypt", token, body)


def test_vault_and_key_metadata(proxy: EkmProxy, token: str) -> None:
    vault = proxy.ekms("GET", "/metadata", token).json()
    assert vault == {"vaultId": proxy.vault_id, "state": "ACTIVE"}
    key_id = proxy.key_ids[0]
    key = proxy.ekms("GET", f"/keys/{key_id}/metadata", token).json()
    assert key["keyId"] == key_id
    assert key["keyShape"] == {"algorithm": "AES", "length": 32}
    assert key["state"] == "ACTIVE"
    version = proxy.ekms(
        "GET", f"/keys/{key_id}/keyVersions/{key['currentKeyVersionId']}/metadata", token
    ).json()
    assert version == {
        "keyId": key_id,
        "keyVersionId": key["currentKeyVersionId"],
        "state": "ACTIVE",
    }


def test_round_trip_with_and_without_aad(proxy: EkmProxy, token: str) -> None:
    key_id = proxy.key_ids[0]
    for aad in (None, b"tenant=a"):
        extra = {} if aad is None else {"aad": b64e(aad)}
        result = encrypt(proxy, token, key_id, b"sixteen byte key", **extra)
        assert result["keyId"] == key_id
        response = decrypt(proxy, token, key_id, result, **extra)
        assert response.status_code == 200, response.text
        assert b64d(response.json()["plaintext"]) == b"sixteen byte key"
    result = encrypt(proxy, token, key_id, b"")
    assert b64d(decrypt(proxy, token, key_id, result).json()["plaintext"]) == b""


def test_ciphertexts_differ_each_time(proxy: EkmProxy, token: str) -> None:
    key_id = proxy.key_ids[0]
    first = encrypt(proxy, token, key_id, b"same")["ciphertext"]
    second = encrypt(proxy, token, key_id, b"same")["ciphertext"]
    assert first != second


def test_wrong_aad_and_tampering_are_invalid_ciphertext(proxy: EkmProxy, token: str) -> None:
    key_id = proxy.key_ids[0]
    result = encrypt(proxy, token, key_id, b"data", aad=b64e(b"ctx"))
    assert_error(
        decrypt(proxy, token, key_id, result, aad=b64e(b"other")), 400, "InvalidCiphertext"
    )
    assert_error(decrypt(proxy, token, key_id, result), 400, "InvalidCiphertext")
    blob = bytearray(b64d(result["ciphertext"]))
    for index in (0, 5, len(blob) - 1, len(blob) // 2):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        response = decrypt(
            proxy, token, key_id, {**result, "ciphertext": b64e(bytes(tampered))}, aad=b64e(b"ctx")
        )
        assert_error(response, 400, "InvalidCiphertext")
    truncated = {**result, "ciphertext": b64e(bytes(blob[:20]))}
    assert_error(decrypt(proxy, token, key_id, truncated), 400, "InvalidCiphertext")
    wrong_version = {**result, "keyVersionId": "0123456789abcdef"}
    assert_error(decrypt(proxy, token, key_id, wrong_version), 400, "InvalidCiphertext")


def test_ciphertext_of_another_key_is_refused(proxy: EkmProxy, token: str) -> None:
    other = proxy.create_key()
    result = encrypt(proxy, token, proxy.key_ids[0], b"data")
    assert_error(decrypt(proxy, token, other, result), 400, "InvalidCiphertext")


def test_unknown_key_and_vault(proxy: EkmProxy, token: str) -> None:
    assert_error(proxy.ekms("GET", "/keys/no-such-key/metadata", token), 404, "KeyNotFound")
    response = proxy.ekms("POST", "/keys/no-such-key/encrypt", token, {"plaintext": "AAAA"})
    assert_error(response, 404, "KeyNotFound")
    response = proxy.ekms(
        "POST", "/keys/no-such-key/decrypt", token, {"ciphertext": "AAAA", "keyVersionId": "x"}
    )
    assert_error(response, 404, "KeyNotFound")
    key_id = proxy.key_ids[0]
    response = proxy.ekms("GET", f"/keys/{key_id}/keyVersions/ffffffffffffffff/metadata", token)
    assert_error(response, 404, "KeyNotFound")
    with proxy.client() as client:
        other_vault = proxy.base_url + "/v1/vaults/not-this-vault/metadata"
        response = client.get(other_vault, headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 404, "VaultNotFound")


def test_disabled_key_and_version(proxy: EkmProxy, token: str) -> None:
    key_id = proxy.create_key()
    result = encrypt(proxy, token, key_id, b"before")
    proxy.disable_key(key_id)
    assert proxy.ekms("GET", f"/keys/{key_id}/metadata", token).json()["state"] == "BLOCKED"
    response = proxy.ekms("POST", f"/keys/{key_id}/encrypt", token, {"plaintext": "AAAA"})
    assert_error(response, 409, "KeyDisabled")
    assert_error(decrypt(proxy, token, key_id, result), 409, "KeyDisabled")
    proxy.enable_key(key_id)
    assert decrypt(proxy, token, key_id, result).status_code == 200
    proxy.disable_key(key_id, version=result["keyVersionId"])
    assert_error(decrypt(proxy, token, key_id, result), 409, "KeyDisabled")
    version_path = f"/keys/{key_id}/keyVersions/{result['keyVersionId']}/metadata"
    assert proxy.ekms("GET", version_path, token).json()["state"] == "BLOCKED"
    proxy.enable_key(key_id, version=result["keyVersionId"])
    assert decrypt(proxy, token, key_id, result).status_code == 200


def test_a_blocked_vault_refuses_every_key_operation(proxy: EkmProxy, token: str) -> None:
    key_id = proxy.key_ids[0]
    result = encrypt(proxy, token, key_id, b"before the block")
    version_path = f"/keys/{key_id}/keyVersions/{result['keyVersionId']}/metadata"
    with proxy.blocked():
        assert proxy.ekms("GET", "/metadata", token).json()["state"] == "BLOCKED"
        assert proxy.health().json()["vaultState"] == "BLOCKED"
        assert proxy.cli("vault", "show") == f"{proxy.vault_id} BLOCKED"
        refused = [
            proxy.ekms("POST", f"/keys/{key_id}/encrypt", token, {"plaintext": "AAAA"}),
            decrypt(proxy, token, key_id, result),
            proxy.ekms("GET", f"/keys/{key_id}/metadata", token),
            proxy.ekms("GET", version_path, token),
        ]
        for response in refused:
            assert_error(response, 409, "VaultBlocked")
        # Authentication still comes first: an anonymous caller learns nothing.
        assert proxy.ekms("GET", "/metadata", None).status_code == 401
    assert proxy.ekms("GET", "/metadata", token).json()["state"] == "ACTIVE"
    assert proxy.cli("vault", "show") == f"{proxy.vault_id} ACTIVE"
    response = decrypt(proxy, token, key_id, result)
    assert b64d(response.json()["plaintext"]) == b"before the block"


def test_rotation_then_decrypt_old_ciphertext(proxy: EkmProxy, token: str) -> None:
    key_id = proxy.create_key()
    old = encrypt(proxy, token, key_id, b"old data")
    new_version = proxy.rotate_key(key_id)
    metadata = proxy.ekms("GET", f"/keys/{key_id}/metadata", token).json()
    assert metadata["currentKeyVersionId"] == new_version
    new = encrypt(proxy, token, key_id, b"new data")
    assert new["keyVersionId"] == new_version != old["keyVersionId"]
    assert b64d(decrypt(proxy, token, key_id, old).json()["plaintext"]) == b"old data"
    assert b64d(decrypt(proxy, token, key_id, new).json()["plaintext"]) == b"new data"
    pinned = encrypt(proxy, token, key_id, b"pinned", keyVersionId=old["keyVersionId"])
    assert pinned["keyVersionId"] == old["keyVersionId"]


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[]",
        b'"text"',
        b"{}",
        b'{"plaintext": 12}',
        b'{"plaintext": "not base64!"}',
        b'{"plaintext": "AAAA", "aad": 5}',
        b'{"plaintext": "AAAA", "keyVersionId": ["x"]}',
    ],
)
def test_malformed_encrypt_requests(proxy: EkmProxy, token: str, raw: bytes) -> None:
    response = proxy.ekms("POST", f"/keys/{proxy.key_ids[0]}/encrypt", token, raw=raw)
    assert_error(response, 400, "InvalidParameter")


@pytest.mark.parametrize(
    "raw",
    [b"", b"{}", b'{"ciphertext": null}', b'{"ciphertext": "%%%"}', b'{"ciphertext": 1}'],
)
def test_malformed_decrypt_requests(proxy: EkmProxy, token: str, raw: bytes) -> None:
    response = proxy.ekms("POST", f"/keys/{proxy.key_ids[0]}/decrypt", token, raw=raw)
    assert_error(response, 400, "InvalidParameter")


def test_oversized_body_is_refused(proxy: EkmProxy, token: str) -> None:
    raw = b'{"plaintext": "' + b"A" * (300 * 1024) + b'"}'
    response = proxy.ekms("POST", f"/keys/{proxy.key_ids[0]}/encrypt", token, raw=raw)
    assert_error(response, 400, "InvalidParameter")


BAD_TOKENS = {
    "expired": lambda idp, aud: idp.token(aud, expires_in=-120),
    "wrong audience": lambda idp, aud: idp.token(aud + "x"),
    "another vault": lambda idp, aud: idp.token(aud.rsplit("/", 1)[0] + "/other"),
    "wrong scope": lambda idp, aud: idp.token(aud, scope="openid"),
    "wrong issuer": lambda idp, aud: idp.token(aud, issuer="https://idp.evil.example"),
    "unsigned": lambda idp, aud: idp.unsigned_token(aud),
    "garbage": lambda idp, aud: "garbage",
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_bad_tokens_are_401(proxy: EkmProxy, idp: LocalIdp, kind: str) -> None:
    token = BAD_TOKENS[kind](idp, proxy.vault_url)
    for method, path, body in (
        ("GET", "/metadata", None),
        ("POST", f"/keys/{proxy.key_ids[0]}/encrypt", {"plaintext": "AAAA"}),
    ):
        response = proxy.ekms(method, path, token, body)
        assert_error(response, 401, "NotAuthenticated")
        assert token not in response.text


def test_missing_or_non_bearer_authorization(proxy: EkmProxy, token: str) -> None:
    assert_error(proxy.ekms("GET", "/metadata", None), 401, "NotAuthenticated")
    with proxy.client() as client:
        response = client.get(
            proxy.vault_url + "/metadata", headers={"Authorization": f"Basic {token}"}
        )
    assert_error(response, 401, "NotAuthenticated")


def test_unauthenticated_callers_learn_nothing_about_keys(proxy: EkmProxy) -> None:
    response = proxy.ekms("GET", "/keys/no-such-key/metadata", None)
    assert_error(response, 401, "NotAuthenticated")


def test_health(proxy: EkmProxy) -> None:
    response = proxy.health()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["backend"] == proxy.backend
