"""XKS proxy API v1 conformance of strongroom-ekm: the requestMetadata fields the spec marks
REQUIRED per call, fields it does not know, 405 for other methods, and key usage (XKS
InvalidKeyUsageException, EKMS InvalidKeyUsage)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from strongroom.ekm_proxy.errors import ConfigurationError
from strongroom.ekm_proxy.keystore import ALL_USAGE, load_keys, parse_usage
from tests.ekm_proxy.test_xks_api import (
    HEALTH,
    META,
    assert_xks_error,
    decrypt_body,
    xks_encrypt,
)
from tests.ekm_support import REQUEST_METADATA, EkmProxy
from tests.idp_support import LocalIdp

ENCRYPT = {"plaintext": "AAAA", "encryptionAlgorithm": "AES_GCM"}
# What the spec marks REQUIRED in requestMetadata, per call.
REQUIRED = {
    "health": ("kmsRequestId", "kmsOperation"),
    "metadata": ("kmsRequestId", "kmsOperation", "awsPrincipalArn"),
    "encrypt": ("kmsRequestId", "kmsOperation", "awsPrincipalArn", "kmsKeyArn"),
    "decrypt": ("kmsRequestId", "kmsOperation", "awsPrincipalArn", "kmsKeyArn"),
}


def _call(proxy: EkmProxy, operation: str, metadata: dict[str, Any]) -> Any:
    key_id = proxy.key_ids[0]
    if operation == "health":
        return proxy.xks("/health", {"requestMetadata": metadata})
    if operation == "metadata":
        return proxy.xks(f"/keys/{key_id}/metadata", {"requestMetadata": metadata})
    if operation == "encrypt":
        return proxy.xks(f"/keys/{key_id}/encrypt", {"requestMetadata": metadata, **ENCRYPT})
    body = decrypt_body(xks_encrypt(proxy, key_id, b"x"))
    return proxy.xks(f"/keys/{key_id}/decrypt", {**body, "requestMetadata": metadata})


@pytest.mark.parametrize(
    ("operation", "field"),
    [(operation, field) for operation, fields in REQUIRED.items() for field in fields],
)
@pytest.mark.parametrize("bad", ["missing", "null", "number", "object"])
def test_a_required_metadata_field_missing_or_not_a_string_is_a_validation_error(
    proxy: EkmProxy, operation: str, field: str, bad: str
) -> None:
    metadata: dict[str, Any] = dict(REQUEST_METADATA)
    if bad == "missing":
        del metadata[field]
    else:
        metadata[field] = {"null": None, "number": 7, "object": {"a": "b"}}[bad]
    assert_xks_error(_call(proxy, operation, metadata), 400, "ValidationException")


@pytest.mark.parametrize("operation", REQUIRED)
def test_exactly_the_required_fields_are_enough(proxy: EkmProxy, operation: str) -> None:
    metadata = {name: REQUEST_METADATA[name] for name in REQUIRED[operation]}
    response = _call(proxy, operation, metadata)
    assert response.status_code == 200, response.text


def test_get_key_metadata_for_create_key_needs_no_key_arn(proxy: EkmProxy) -> None:
    metadata = {**REQUEST_METADATA, "kmsOperation": "CreateKey"}
    del metadata["kmsKeyArn"]
    assert _call(proxy, "metadata", metadata).status_code == 200


@pytest.mark.parametrize("operation", REQUIRED)
def test_unknown_metadata_fields_of_any_type_are_accepted(proxy: EkmProxy, operation: str) -> None:
    metadata = {
        **REQUEST_METADATA,
        "tags": {"project": "nile"},
        "futureList": [1, "two", None],
        "futureNumber": 3.5,
        "futureFlag": True,
        "futureNull": None,
        "kmsOperation": "BulkSomethingNew",  # an operation the spec does not list is accepted
        "kmsRequestId": "not-a-uuid",  # opaque: never validated
    }
    response = _call(proxy, operation, metadata)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("field", ["awsSourceVpc", "awsSourceVpce", "kmsViaService"])
def test_optional_metadata_fields_the_spec_names_are_strings(proxy: EkmProxy, field: str) -> None:
    assert _call(proxy, "encrypt", {**REQUEST_METADATA, field: "vpc-1"}).status_code == 200
    response = _call(proxy, "encrypt", {**REQUEST_METADATA, field: ["vpc-1"]})
    assert_xks_error(response, 400, "ValidationException")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD"])
@pytest.mark.parametrize("path", ["/health", "/keys/{key}/metadata", "/keys/{key}/encrypt"])
def test_other_methods_on_xks_uris_are_405(proxy: EkmProxy, method: str, path: str) -> None:
    url = proxy.xks_url + path.format(key=proxy.key_ids[0])
    with proxy.client() as client:
        response = client.request(method, url, json=META if method != "GET" else None)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "POST"
    if method != "HEAD":
        assert_xks_error(response, 405, "MethodNotAllowedException")


def test_other_methods_on_unknown_paths_stay_404(proxy: EkmProxy) -> None:
    with proxy.client() as client:
        response = client.get(proxy.xks_url + "/keys/k/rotate")
    assert_xks_error(response, 404, "InvalidUriPathException")


def _metadata(proxy: EkmProxy, key_id: str) -> Any:
    response = proxy.xks(f"/keys/{key_id}/metadata", META)
    assert response.status_code == 200, response.text
    return response.json()


def test_key_usage_is_reported_and_enforced(proxy: EkmProxy) -> None:
    both = proxy.create_key(usage="encrypt,decrypt")
    encrypt_only = proxy.create_key(usage="encrypt")
    decrypt_only = proxy.create_key(usage="decrypt")
    neither = proxy.create_key(usage="none")
    assert _metadata(proxy, both)["keyUsage"] == ["ENCRYPT", "DECRYPT"]
    assert _metadata(proxy, encrypt_only)["keyUsage"] == ["ENCRYPT"]
    assert _metadata(proxy, decrypt_only)["keyUsage"] == ["DECRYPT"]
    assert _metadata(proxy, neither) == {
        "keySpec": "AES_256",
        "keyUsage": [],
        "keyStatus": "ENABLED",
    }
    sealed = xks_encrypt(proxy, encrypt_only, b"one-way")
    for key_id in (decrypt_only, neither):
        response = proxy.xks(f"/keys/{key_id}/encrypt", {**META, **ENCRYPT})
        assert_xks_error(response, 400, "InvalidKeyUsageException")
    for key_id in (encrypt_only, neither):
        # Refused for the usage even though the ciphertext is not this key's.
        response = proxy.xks(f"/keys/{key_id}/decrypt", decrypt_body(sealed))
        assert_xks_error(response, 400, "InvalidKeyUsageException")
    garbage = {**decrypt_body(sealed), "ciphertextMetadata": None, "authenticationTag": "AAAA"}
    response = proxy.xks(f"/keys/{encrypt_only}/decrypt", garbage)
    assert_xks_error(response, 400, "InvalidKeyUsageException")


def test_ekms_refuses_operations_outside_the_key_usage(proxy: EkmProxy, idp: LocalIdp) -> None:
    token = idp.token(proxy.vault_url)
    encrypt_only = proxy.create_key(usage="encrypt")
    decrypt_only = proxy.create_key(usage="decrypt")
    sealed = proxy.ekms("POST", f"/keys/{encrypt_only}/encrypt", token, {"plaintext": "AAAA"})
    assert sealed.status_code == 200, sealed.text
    refused = [
        proxy.ekms("POST", f"/keys/{decrypt_only}/encrypt", token, {"plaintext": "AAAA"}),
        proxy.ekms(
            "POST",
            f"/keys/{encrypt_only}/decrypt",
            token,
            {"ciphertext": sealed.json()["ciphertext"]},
        ),
        proxy.ekms("POST", f"/keys/{encrypt_only}/decrypt", token, {"ciphertext": "AAAA"}),
    ]
    for response in refused:
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "InvalidKeyUsage"


def test_keys_list_shows_the_usage(proxy: EkmProxy) -> None:
    decrypt_only = proxy.create_key(usage="decrypt")
    listed = {k["keyId"]: k for k in orjson.loads(proxy.cli("keys", "list", "--json"))}
    assert listed[decrypt_only]["usage"] == ["decrypt"]
    assert listed[proxy.key_ids[0]]["usage"] == ["encrypt", "decrypt"]
    assert "decrypt" in proxy.cli("keys", "list")


@pytest.mark.parametrize("usage", ["sign", "encrypt,sign", "", "none,encrypt", "ENCRYPTX"])
def test_keys_create_refuses_an_unknown_usage(proxy: EkmProxy, usage: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_usage(usage)
    failed = proxy.cli("keys", "create", "--usage", usage, check=False)
    assert failed == ""  # nothing printed on stdout: no key id


def test_a_key_stored_without_a_usage_encrypts_and_decrypts(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    version = {"enabled": True, "created": "2026-01-01T00:00:00Z", "sealed": None}
    record = {"enabled": True, "currentVersion": "v", "created": "c", "versions": {"v": version}}
    path.write_bytes(orjson.dumps({"format": 1, "keys": {"old": record}}))
    assert load_keys(path)["old"].usage == ALL_USAGE
    path.write_bytes(orjson.dumps({"format": 1, "keys": {"bad": {**record, "usage": ["sign"]}}}))
    with pytest.raises(ConfigurationError):
        load_keys(path)


def test_health_keeps_working_with_the_required_fields(proxy: EkmProxy) -> None:
    assert proxy.xks("/health", HEALTH).status_code == 200
