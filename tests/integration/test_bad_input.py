"""Bad input gets a clear 4xx in OCI's error format and changes nothing."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import httpx
import pytest
from oci.key_management import KmsCryptoClient, KmsManagementClient, KmsVaultClient
from oci.key_management import models as m

from tests.helpers import b64d, b64e
from tests.integration import support
from tests.integration.support import Raw, Server, assert_oci_error, service_error

UNKNOWN_KEY = "ocid1.key.oc1.us-ashburn-1..aaaaaaaa" + "d" * 53


# --- vaults -------------------------------------------------------------------------------------


def _vault_body(tenancy: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"compartmentId": tenancy, "displayName": "bad", "vaultType": "DEFAULT"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    "changes",
    [
        {"displayName": 5},
        {"displayName": ""},
        {"displayName": "x" * 256},
        {"displayName": "tab\there"},
        {"vaultType": "FOO"},
        {"vaultType": None},
        {"vaultType": 1},
        {"compartmentId": "not-an-ocid"},
        {"compartmentId": None},
        {"freeformTags": "x"},
        {"freeformTags": {"k": 1}},
        {"definedTags": {"ns": "flat"}},
        {"vaultType": "EXTERNAL"},
    ],
    ids=lambda changes: ",".join(f"{k}={v!r}"[:40] for k, v in changes.items()),
)
def test_create_vault_rejects_bad_fields(raw: Raw, tenancy: str, changes: dict[str, Any]) -> None:
    before = raw.count_vaults()
    response = raw.post("/20180608/vaults", _vault_body(tenancy, **changes))
    assert_oci_error(response, 400, "InvalidParameter")
    assert raw.count_vaults() == before


@pytest.mark.parametrize(
    "data", [b"{not json", b"[]", b'"a string"', b"\xff\xfe", b'{"displayName": "x"'], ids=repr
)
def test_malformed_json_is_refused(raw: Raw, data: bytes) -> None:
    before = raw.count_vaults()
    response = raw.request("POST", "/20180608/vaults", data=data)
    message = assert_oci_error(response, 400, "InvalidParameter")
    assert "JSON" in message
    assert raw.count_vaults() == before


def test_vault_in_a_compartment_we_cannot_see(raw: Raw) -> None:
    stranger = "ocid1.tenancy.oc1..aaaaaaaa" + "e" * 53
    before = raw.count_vaults()
    response = raw.post("/20180608/vaults", {**_vault_body(stranger)})
    assert_oci_error(response, 404, "NotAuthorizedOrNotFound")
    listing = raw.get("/20180608/vaults", params={"compartmentId": stranger})
    assert_oci_error(listing, 404, "NotAuthorizedOrNotFound")
    assert raw.count_vaults() == before


def test_update_vault_rejects_bad_fields(
    raw: Raw, vault_client: KmsVaultClient, vault: m.Vault
) -> None:
    path = f"/20180608/vaults/{vault.id}"
    for body in ({"displayName": 5}, {"freeformTags": ["a"]}, {"displayName": None}):
        assert_oci_error(raw.put(path, body), 400, "InvalidParameter")
    assert_oci_error(raw.request("PUT", path, data=b"{"), 400, "InvalidParameter")
    assert vault_client.get_vault(vault.id).data.display_name == vault.display_name


def test_schedule_deletion_rejects_bad_times(
    raw: Raw, vault_client: KmsVaultClient, vault: m.Vault
) -> None:
    path = f"/20180608/vaults/{vault.id}/actions/scheduleDeletion"
    for when in ("tomorrow", "2031-01-01T00:00:00", 12345):
        assert_oci_error(raw.post(path, {"timeOfDeletion": when}), 400, "InvalidParameter")
    assert vault_client.get_vault(vault.id).data.lifecycle_state == "ACTIVE"


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "abc"},
        {"limit": "0"},
        {"limit": "100000"},
        {"sortBy": "FOO"},
        {"sortOrder": "SIDEWAYS"},
        {"page": "%%%"},
        {"compartmentId": None},
        {"compartmentId": "nope"},
    ],
    ids=repr,
)
def test_list_vaults_rejects_bad_query(raw: Raw, tenancy: str, params: dict[str, Any]) -> None:
    query = {"compartmentId": tenancy, **params}
    query = {k: v for k, v in query.items() if v is not None}
    assert_oci_error(raw.get("/20180608/vaults", params=query), 400, "InvalidParameter")


def test_malformed_path_ids(raw: Raw, vault: m.Vault, aes_key: m.Key) -> None:
    assert_oci_error(raw.get("/20180608/vaults/not-an-ocid"), 400, "InvalidParameter")
    # A key OCID where a vault is expected.
    assert_oci_error(raw.get(f"/20180608/vaults/{aes_key.id}"), 400, "InvalidParameter")
    keys = f"{vault.management_endpoint}/20180608/keys"
    assert_oci_error(raw.get(f"{keys}/not-an-ocid"), 400, "InvalidParameter")
    assert_oci_error(raw.get(f"{keys}/{vault.id}"), 400, "InvalidParameter")
    versions = f"{keys}/{aes_key.id}/keyVersions"
    assert_oci_error(raw.get(f"{versions}/{aes_key.id}"), 400, "InvalidParameter")
    assert_oci_error(raw.get(f"{keys}/{UNKNOWN_KEY}"), 404, "NotAuthorizedOrNotFound")


# --- keys ---------------------------------------------------------------------------------------


def _key_body(tenancy: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "compartmentId": tenancy,
        "displayName": "bad",
        "keyShape": {"algorithm": "AES", "length": 32},
        "protectionMode": "SOFTWARE",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    "changes",
    [
        {"keyShape": {"algorithm": "AES", "length": "32"}},
        {"keyShape": {"algorithm": "AES", "length": 32.0}},
        {"keyShape": {"algorithm": "AES", "length": True}},
        {"keyShape": {"algorithm": "DES", "length": 8}},
        {"keyShape": {"algorithm": "AES"}},
        {"keyShape": {"length": 32}},
        {"keyShape": {"algorithm": "ECDSA", "length": 32, "curveId": "CURVE25519"}},
        {"keyShape": "AES"},
        {"keyShape": None},
        {"protectionMode": "FOO"},
        {"displayName": 5},
        {"compartmentId": "not-an-ocid"},
    ],
    ids=lambda changes: json.dumps(changes)[:60],
)
def test_create_key_rejects_bad_fields(
    raw: Raw, vault: m.Vault, tenancy: str, changes: dict[str, Any]
) -> None:
    response = raw.post(f"{vault.management_endpoint}/20180608/keys", _key_body(tenancy, **changes))
    assert_oci_error(response, 400, "InvalidParameter")
    assert raw.count_keys(vault) == 0


@pytest.mark.parametrize(
    "params",
    [{"algorithm": "DES"}, {"protectionMode": "CLOUD"}, {"length": "x"}, {"curveId": "P256"}],
    ids=repr,
)
def test_list_keys_rejects_bad_filters(
    raw: Raw, vault: m.Vault, tenancy: str, params: dict[str, str]
) -> None:
    response = raw.get(
        f"{vault.management_endpoint}/20180608/keys", params={"compartmentId": tenancy, **params}
    )
    assert_oci_error(response, 400, "InvalidParameter")


def test_automatic_rotation_is_refused_clearly(
    raw: Raw, kms: KmsManagementClient, vault: m.Vault, aes_key: m.Key
) -> None:
    path = f"{vault.management_endpoint}/20180608/keys/{aes_key.id}"
    message = assert_oci_error(
        raw.put(path, {"isAutoRotationEnabled": True, "displayName": "auto"}),
        400,
        "InvalidParameter",
    )
    assert "rotation" in message.lower()
    assert kms.get_key(aes_key.id).data.display_name == aes_key.display_name


# --- crypto -------------------------------------------------------------------------------------


@pytest.fixture
def sealed(crypto: KmsCryptoClient, aes_key: m.Key) -> str:
    details = m.EncryptDataDetails(
        key_id=aes_key.id, plaintext=b64e(b"precious"), associated_data={"a": "b"}
    )
    ciphertext: str = crypto.encrypt(details).data.ciphertext
    return ciphertext


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"plaintext": b64e(b"\x07" * 4097)}, "plaintext"),
        ({"plaintext": b64e(b"\x07" * 9000)}, "plaintext"),
        ({"plaintext": "!!!not base64!!!"}, "plaintext"),
        ({"plaintext": "aGVsbG8"}, "plaintext"),  # missing padding
        ({"plaintext": 12}, "plaintext"),
        ({}, "plaintext"),
        ({"plaintext": "aGk=", "keyId": "not-an-ocid"}, "keyId"),
        ({"plaintext": "aGk=", "keyId": None}, "keyId"),
        ({"plaintext": "aGk=", "associatedData": {"a": 1}}, "associatedData"),
        ({"plaintext": "aGk=", "associatedData": ["a"]}, "associatedData"),
        ({"plaintext": "aGk=", "encryptionAlgorithm": "ROT13"}, "encryptionAlgorithm"),
        ({"plaintext": "aGk=", "keyVersionId": "v1"}, "keyVersionId"),
    ],
    ids=lambda value: json.dumps(value)[:50] if isinstance(value, dict) else value,
)
def test_encrypt_rejects_bad_fields(
    raw: Raw, vault: m.Vault, aes_key: m.Key, body: dict[str, Any], field: str
) -> None:
    request = {"keyId": aes_key.id, **body}
    request = {k: v for k, v in request.items() if v is not None}
    message = assert_oci_error(raw.crypto(vault, "encrypt", request), 400, "InvalidParameter")
    assert field in message


def test_vault_ocid_as_key_id(raw: Raw, vault: m.Vault) -> None:
    response = raw.crypto(vault, "encrypt", {"keyId": vault.id, "plaintext": "aGk="})
    message = assert_oci_error(response, 400, "InvalidParameter")
    assert "keyId" in message


def test_unknown_key_is_not_found(raw: Raw, vault: m.Vault) -> None:
    response = raw.crypto(vault, "encrypt", {"keyId": UNKNOWN_KEY, "plaintext": "aGk="})
    assert_oci_error(response, 404, "NotAuthorizedOrNotFound")


def test_signing_fields_are_validated(raw: Raw, vault: m.Vault, ecdsa_key: m.Key) -> None:
    base = {"keyId": ecdsa_key.id, "message": b64e(b"m"), "signingAlgorithm": "ECDSA_SHA_256"}
    for changes in (
        {"signingAlgorithm": "ECDSA_MD5"},
        {"signingAlgorithm": None},
        {"messageType": "HASHED"},
        {"message": "%%%"},
        {"message": b64e(os.urandom(4097))},
    ):
        body = {k: v for k, v in {**base, **changes}.items() if v is not None}
        assert_oci_error(raw.crypto(vault, "sign", body), 400, "InvalidParameter")
    verify = {**base, "signature": "AAAA"}  # keyVersionId missing
    assert_oci_error(raw.crypto(vault, "verify", verify), 400, "InvalidParameter")
    verify["keyVersionId"] = ecdsa_key.current_key_version
    verify["signature"] = "***"
    assert_oci_error(raw.crypto(vault, "verify", verify), 400, "InvalidParameter")


def _flip(ciphertext: str, index: int) -> str:
    data = bytearray(b64d(ciphertext))
    data[index] ^= 0x01
    return base64.b64encode(bytes(data)).decode()


def test_tampered_ciphertext_is_refused(
    crypto: KmsCryptoClient, aes_key: m.Key, sealed: str
) -> None:
    length = len(b64d(sealed))
    # The format marker, the key version id, the nonce, the body and the tag: all protected.
    for index in (0, 10, length - 40, length - 20, length - 1):
        details = m.DecryptDataDetails(
            key_id=aes_key.id, ciphertext=_flip(sealed, index), associated_data={"a": "b"}
        )
        error = service_error(crypto.decrypt, details, status=400, code="InvalidParameter")
        assert "ciphertext" in error.message
    truncated = base64.b64encode(b64d(sealed)[:-5]).decode()
    for bad in (truncated, b64e(b"short"), ""):
        details = m.DecryptDataDetails(
            key_id=aes_key.id, ciphertext=bad, associated_data={"a": "b"}
        )
        service_error(crypto.decrypt, details, status=400, code="InvalidParameter")
    # The untampered one still works.
    intact = m.DecryptDataDetails(key_id=aes_key.id, ciphertext=sealed, associated_data={"a": "b"})
    assert b64d(crypto.decrypt(intact).data.plaintext) == b"precious"


def test_ciphertext_of_another_key_is_refused(
    kms: KmsManagementClient, crypto: KmsCryptoClient, tenancy: str, aes_key: m.Key, sealed: str
) -> None:
    other = support.new_key(kms, tenancy, "AES", 32)
    details = m.DecryptDataDetails(key_id=other.id, ciphertext=sealed, associated_data={"a": "b"})
    service_error(crypto.decrypt, details, status=400, code="InvalidParameter")


def test_mismatched_key_version_is_refused(
    crypto: KmsCryptoClient, kms: KmsManagementClient, aes_key: m.Key, sealed: str
) -> None:
    newer = kms.create_key_version(aes_key.id).data
    details = m.DecryptDataDetails(
        key_id=aes_key.id, ciphertext=sealed, associated_data={"a": "b"}, key_version_id=newer.id
    )
    service_error(crypto.decrypt, details, status=400, code="InvalidParameter")


def test_wrong_associated_data_is_refused(
    crypto: KmsCryptoClient, aes_key: m.Key, sealed: str
) -> None:
    details = m.DecryptDataDetails(key_id=aes_key.id, ciphertext=sealed, associated_data={"a": "c"})
    service_error(crypto.decrypt, details, status=400, code="InvalidParameter")


def test_keys_of_the_wrong_type_are_refused(
    crypto: KmsCryptoClient, aes_key: m.Key, rsa_key: m.Key, ecdsa_key: m.Key
) -> None:
    sign_with_aes = m.SignDataDetails(
        key_id=aes_key.id, message=b64e(b"m"), signing_algorithm="SHA_256_RSA_PKCS_PSS"
    )
    service_error(crypto.sign, sign_with_aes, status=400, code="InvalidParameter")
    verify_with_aes = m.VerifyDataDetails(
        key_id=aes_key.id,
        key_version_id=aes_key.current_key_version,
        message=b64e(b"m"),
        signature=b64e(b"s"),
        signing_algorithm="SHA_256_RSA_PKCS_PSS",
    )
    service_error(crypto.verify, verify_with_aes, status=400, code="InvalidParameter")
    encrypt_with_ecdsa = m.EncryptDataDetails(key_id=ecdsa_key.id, plaintext=b64e(b"p"))
    service_error(crypto.encrypt, encrypt_with_ecdsa, status=400, code="InvalidParameter")
    for master in (rsa_key, ecdsa_key):
        data_key_with_asymmetric = m.GenerateKeyDetails(
            key_id=master.id,
            key_shape=m.KeyShape(algorithm="AES", length=32),
            include_plaintext_key=True,
        )
        service_error(
            crypto.generate_data_encryption_key,
            data_key_with_asymmetric,
            status=400,
            code="InvalidParameter",
        )


def test_key_through_another_vaults_endpoint_is_not_found(
    vault_client: KmsVaultClient,
    server: Server,
    tenancy: str,
    crypto: KmsCryptoClient,
    aes_key: m.Key,
    sealed: str,
) -> None:
    other = support.new_vault(vault_client, tenancy, "elsewhere")
    other_crypto = support.crypto_client(server.config, other)
    encrypt = m.EncryptDataDetails(key_id=aes_key.id, plaintext=b64e(b"x"))
    service_error(other_crypto.encrypt, encrypt, status=404, code="NotAuthorizedOrNotFound")
    decrypt = m.DecryptDataDetails(key_id=aes_key.id, ciphertext=sealed, associated_data={"a": "b"})
    service_error(other_crypto.decrypt, decrypt, status=404, code="NotAuthorizedOrNotFound")
    assert crypto.encrypt(encrypt).status == 200


# --- transport ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/20180608/nothing", "/20180608/vaults/x/y/z", "/kms/x/crypto/20180608/shred"],
)
def test_unknown_paths_are_json_404s(server: Server, raw: Raw, path: str) -> None:
    assert_oci_error(raw.get(path), 404, "NotAuthorizedOrNotFound")
    assert_oci_error(
        httpx.post(f"{server.url}{path}", content=b"{}"), 404, "NotAuthorizedOrNotFound"
    )


def test_the_root_takes_only_the_alibaba_apis_post(server: Server, raw: Raw) -> None:
    """``POST /`` is the Alibaba KMS API; another method there is OCI's JSON 405."""
    assert_oci_error(raw.get("/"), 405, "MethodNotAllowed")
    unsigned = httpx.post(f"{server.url}/", content=b"{}")
    assert unsigned.status_code == 400 and unsigned.json()["Code"] == "MissingParameter"


def test_oversized_bodies_are_refused(raw: Raw, vault: m.Vault, aes_key: m.Key) -> None:
    before = raw.count_vaults()
    big: dict[str, Any] = {
        "compartmentId": raw.server.tenancy,
        "displayName": "x",
        "vaultType": "DEFAULT",
    }
    big["freeformTags"] = {f"k{i}": "v" * 200 for i in range(400)}  # ~ 85 KB
    response = raw.post("/20180608/vaults", big)
    assert_oci_error(response, 413, "RequestEntityTooLarge")
    assert raw.count_vaults() == before

    huge_plaintext = {"keyId": aes_key.id, "plaintext": "A" * (70 * 1024)}
    assert_oci_error(raw.crypto(vault, "encrypt", huge_plaintext), 413, "RequestEntityTooLarge")


def test_oversized_chunked_body_is_refused(raw: Raw) -> None:
    """Without a content-length the server still stops reading at the limit."""

    def chunks() -> Any:
        for _ in range(100):
            yield b"x" * 1024

    response = httpx.post(
        f"{raw.server.url}/20180608/vaults", content=chunks(), headers={"authorization": "x"}
    )
    assert_oci_error(response, 413, "RequestEntityTooLarge")
