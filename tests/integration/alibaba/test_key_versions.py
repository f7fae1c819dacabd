"""Key versions, the actions Strongroom does not offer, and GenerateAndExportDataKey through
both official Alibaba SDKs against a real server: rotation keeps old ciphertexts readable, an
EXTERNAL key has no versions here, refusals say why, and an exported data key opens with the
caller's private key to the same bytes Decrypt gives."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from oci.key_management import KmsVaultClient

from tests.ekm_support import EkmProxy, running_proxy
from tests.integration.alibaba.support import (
    Alibaba,
    TeaError,
    alibaba_for,
    core_error,
    tea_models,
)
from tests.integration.external_support import (
    TEST_TIMEOUT,
    ExternalVault,
    ekm_settings,
    external_key,
    open_vault,
    xks_metadata,
)
from tests.integration.iam_support import Iam
from tests.integration.support import Server, management_client


@pytest.fixture(scope="module")
def rsa_2048() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def rsa_3072() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _blob(private: Any) -> str:
    """PublicKeyBlob: base64 of the public key's DER SubjectPublicKeyInfo."""
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _b64(der)


# --- key versions ----------------------------------------------------------------------------


def test_rotation_makes_a_new_current_version_and_old_ciphertexts_still_decrypt(
    admin: Alibaba, key_id: str
) -> None:
    first = admin.core_call("DescribeKey", KeyId=key_id)["KeyMetadata"]["PrimaryKeyVersion"]
    old = admin.core_call("Encrypt", KeyId=key_id, Plaintext=_b64(b"before rotation"))
    assert old["KeyVersionId"] == first

    tea = admin.tea()
    made = tea.create_key_version(tea_models.CreateKeyVersionRequest(key_id=key_id)).body
    second = made.key_version.key_version_id
    assert made.key_version.key_id == key_id and second != first
    assert made.key_version.creation_date.endswith("Z")
    shown = admin.core_call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert shown["PrimaryKeyVersion"] == second

    new = admin.core_call("Encrypt", KeyId=key_id, Plaintext=_b64(b"after rotation"))
    assert new["KeyVersionId"] == second
    for sealed, plain in ((old, b"before rotation"), (new, b"after rotation")):
        opened = admin.core_call("Decrypt", CiphertextBlob=sealed["CiphertextBlob"])
        assert base64.b64decode(opened["Plaintext"]) == plain
        assert opened["KeyVersionId"] == sealed["KeyVersionId"]

    third = admin.core_call("CreateKeyVersion", KeyId=key_id)["KeyVersion"]["KeyVersionId"]
    listed = tea.list_key_versions(tea_models.ListKeyVersionsRequest(key_id=key_id)).body
    assert listed.total_count == 3 and (listed.page_number, listed.page_size) == (1, 10)
    every = [v.key_version_id for v in listed.key_versions.key_version]
    assert sorted(every) == sorted([first, second, third])
    # Oldest first (versions made in the same instant by id): pages cut that one order.
    paged = admin.core_call("ListKeyVersions", KeyId=key_id, PageNumber="2", PageSize="2")
    assert [v["KeyVersionId"] for v in paged["KeyVersions"]["KeyVersion"]] == every[2:]
    assert (paged["TotalCount"], paged["PageNumber"], paged["PageSize"]) == (3, 2, 2)

    described = admin.core_call("DescribeKeyVersion", KeyId=key_id, KeyVersionId=first)
    assert described["KeyVersion"]["KeyVersionId"] == first
    assert described["KeyVersion"]["KeyId"] == key_id
    v2 = admin.tea(v2=True).describe_key_version(
        tea_models.DescribeKeyVersionRequest(key_id=key_id, key_version_id=second)
    )
    assert v2.body.key_version.key_version_id == second


def test_versions_made_here_are_the_oci_key_versions(
    admin: Alibaba, iam: Iam, server: Server, vault_id: str, key_id: str
) -> None:
    made = admin.core_call("CreateKeyVersion", KeyId=key_id)["KeyVersion"]["KeyVersionId"]
    vault = iam.admin_vaults.get_vault(vault_id).data
    management = management_client(server.config, vault)
    assert management.get_key(key_id).data.current_key_version == made
    oci_ids = {v.id for v in management.list_key_versions(key_id).data}
    listed = admin.core_call("ListKeyVersions", KeyId=key_id)["KeyVersions"]["KeyVersion"]
    assert {v["KeyVersionId"] for v in listed} == oci_ids


def test_key_version_bad_input(iam: Iam, server: Server, admin: Alibaba, key_id: str) -> None:
    assert core_error(admin, "CreateKeyVersion").error_code == "MissingParameter"
    missing = core_error(admin, "DescribeKeyVersion", KeyId=key_id)
    assert missing.error_code == "MissingParameter"
    unknown = core_error(
        admin, "DescribeKeyVersion", KeyId=key_id, KeyVersionId="ocid1.keyversion.oc1..none"
    )
    assert (unknown.http_status, unknown.error_code) == (404, "Forbidden.KeyNotFound")
    for size in ("0", "101", "ten"):
        bad = core_error(admin, "ListKeyVersions", KeyId=key_id, PageSize=size)
        assert bad.error_code == "InvalidParameter", size
    no_key = core_error(admin, "CreateKeyVersion", KeyId="ocid1.key.oc1..none")
    assert (no_key.http_status, no_key.error_code) == (404, "Forbidden.KeyNotFound")

    admin.core_call("DisableKey", KeyId=key_id)
    disabled = core_error(admin, "CreateKeyVersion", KeyId=key_id)
    assert (disabled.http_status, disabled.error_code) == (409, "Rejected.Disabled")
    assert admin.core_call("ListKeyVersions", KeyId=key_id)["TotalCount"] == 1

    nobody = alibaba_for(server, iam.person().id)
    for action in ("CreateKeyVersion", "ListKeyVersions"):
        hidden = core_error(nobody, action, KeyId=key_id)
        assert (hidden.http_status, hidden.error_code) == (404, "Forbidden.KeyNotFound")


# --- what Strongroom does not offer ----------------------------------------------------------


def test_key_material_import_is_refused_saying_why(admin: Alibaba, key_id: str) -> None:
    tea = admin.tea()
    with pytest.raises(TeaError) as caught:
        tea.get_parameters_for_import(
            tea_models.GetParametersForImportRequest(
                key_id=key_id, wrapping_algorithm="RSAES_OAEP_SHA_256", wrapping_key_spec="RSA_2048"
            )
        )
    assert caught.value.code == "Rejected.UnsupportedOperation"
    assert "Importing key material is not supported" in str(caught.value.message)
    for action, params in (
        ("ImportKeyMaterial", {"EncryptedKeyMaterial": "eA==", "ImportToken": "t"}),
        ("DeleteKeyMaterial", {}),
    ):
        error = core_error(admin, action, KeyId=key_id, **params)
        assert (error.http_status, error.error_code) == (400, "Rejected.UnsupportedOperation")
        assert "key material" in error.message


def test_automatic_rotation_is_refused_and_turning_it_off_is_a_no_op(
    admin: Alibaba, key_id: str
) -> None:
    on = core_error(
        admin,
        "UpdateRotationPolicy",
        KeyId=key_id,
        EnableAutomaticRotation="true",
        RotationInterval="604800s",
    )
    assert (on.http_status, on.error_code) == (400, "Rejected.UnsupportedOperation")
    assert "Automatic rotation is not supported" in on.message
    admin.tea().update_rotation_policy(
        tea_models.UpdateRotationPolicyRequest(key_id=key_id, enable_automatic_rotation=False)
    )
    shown = admin.core_call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert shown["AutomaticRotation"] == "Disabled"
    missing = core_error(admin, "UpdateRotationPolicy", KeyId=key_id)
    assert missing.error_code == "MissingParameter"
    no_key = core_error(
        admin, "UpdateRotationPolicy", KeyId="ocid1.key.oc1..none", EnableAutomaticRotation="false"
    )
    assert no_key.error_code == "Forbidden.KeyNotFound"


# --- GenerateAndExportDataKey ----------------------------------------------------------------


def _unwrap(private: rsa.RSAPrivateKey, exported: str, sha: Any) -> bytes:
    oaep = padding.OAEP(mgf=padding.MGF1(sha()), algorithm=sha(), label=None)
    return private.decrypt(base64.b64decode(exported), oaep)


def test_exported_data_key_opens_with_the_callers_private_key(
    admin: Alibaba, key_id: str, rsa_2048: rsa.RSAPrivateKey, rsa_3072: rsa.RSAPrivateKey
) -> None:
    context = {"app": "ledger", "tier": "gold"}
    made = (
        admin.tea()
        .generate_and_export_data_key(
            tea_models.GenerateAndExportDataKeyRequest(
                key_id=key_id,
                public_key_blob=_blob(rsa_2048),
                wrapping_key_spec="RSA_2048",
                wrapping_algorithm="RSAES_OAEP_SHA_256",
                encryption_context=context,
            )
        )
        .body
    )
    current = admin.core_call("DescribeKey", KeyId=key_id)["KeyMetadata"]["PrimaryKeyVersion"]
    assert made.key_id == key_id and made.key_version_id == current
    data_key = _unwrap(rsa_2048, made.exported_data_key, hashes.SHA256)
    assert len(data_key) == 32
    opened = admin.core_call(
        "Decrypt",
        CiphertextBlob=made.ciphertext_blob,
        EncryptionContext=json.dumps(context, separators=(",", ":")),
    )
    assert base64.b64decode(opened["Plaintext"]) == data_key

    core = admin.core_call(
        "GenerateAndExportDataKey",
        KeyId=key_id,
        KeySpec="AES_128",
        PublicKeyBlob=_blob(rsa_3072),
        WrappingKeySpec="RSA_3072",
        WrappingAlgorithm="RSAES_OAEP_SHA_1",
    )
    assert "Plaintext" not in core
    data_key = _unwrap(rsa_3072, core["ExportedDataKey"], hashes.SHA1)
    assert len(data_key) == 16
    opened = admin.core_call("Decrypt", CiphertextBlob=core["CiphertextBlob"])
    assert base64.b64decode(opened["Plaintext"]) == data_key


def test_generate_and_export_bad_input(
    iam: Iam,
    server: Server,
    admin: Alibaba,
    key_id: str,
    rsa_2048: rsa.RSAPrivateKey,
    rsa_3072: rsa.RSAPrivateKey,
) -> None:
    good = {
        "KeyId": key_id,
        "PublicKeyBlob": _blob(rsa_2048),
        "WrappingKeySpec": "RSA_2048",
        "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
    }
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    invalid: list[dict[str, str]] = [
        {"PublicKeyBlob": "not base64!"},
        {"PublicKeyBlob": _b64(b"not a DER public key")},
        {"PublicKeyBlob": _blob(ec_key)},
        {"PublicKeyBlob": _blob(small)},
        {"PublicKeyBlob": _blob(rsa_3072)},  # not the RSA_2048 its spec says
        {"WrappingKeySpec": "EC_SM2"},
        {"WrappingKeySpec": "RSA_1024"},
        {"WrappingAlgorithm": "SM2PKE"},
        {"WrappingAlgorithm": "RSA_OAEP_SHA_256"},
        {"NumberOfBytes": "1024"},  # more than RSA-OAEP wraps under a 2048-bit key
        {"NumberOfBytes": "0"},
        {"KeySpec": "AES_512"},
        {"EncryptionContext": "[1]"},
    ]
    for change in invalid:
        error = core_error(admin, "GenerateAndExportDataKey", **{**good, **change})
        assert (error.http_status, error.error_code) == (400, "InvalidParameter"), change
        assert error.message, change
    for name in ("PublicKeyBlob", "WrappingKeySpec", "WrappingAlgorithm", "KeyId"):
        without = {k: v for k, v in good.items() if k != name}
        error = core_error(admin, "GenerateAndExportDataKey", **without)
        assert error.error_code == "MissingParameter", name

    nobody = alibaba_for(server, iam.person().id)
    hidden = core_error(nobody, "GenerateAndExportDataKey", **good)
    assert (hidden.http_status, hidden.error_code) == (404, "Forbidden.KeyNotFound")
    admin.core_call("DisableKey", KeyId=key_id)
    disabled = core_error(admin, "GenerateAndExportDataKey", **good)
    assert (disabled.http_status, disabled.error_code) == (409, "Rejected.Disabled")


# --- EXTERNAL keys ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proxy(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EkmProxy]:
    with (
        ekm_settings(server, timeout_seconds=TEST_TIMEOUT),
        running_proxy(tmp_path_factory.mktemp("ekm-versions"), "software", keys=1) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def xki(server: Server, proxy: EkmProxy, vault_client: KmsVaultClient) -> ExternalVault:
    """An XKI instance: an EXTERNAL vault on an XKS proxy."""
    return open_vault(server, vault_client, xks_metadata(proxy), proxy)


def test_external_keys_have_no_key_versions_here(
    iam: Iam, server: Server, admin: Alibaba, xki: ExternalVault, rsa_2048: rsa.RSAPrivateKey
) -> None:
    key_id = external_key(xki.kms, server.tenancy, xki.proxy.key_ids[0]).id
    version_id = admin.core_call("DescribeKey", KeyId=key_id)["KeyMetadata"]["PrimaryKeyVersion"]
    for action, params in (
        ("CreateKeyVersion", {}),
        ("ListKeyVersions", {}),
        ("DescribeKeyVersion", {"KeyVersionId": version_id}),
    ):
        error = core_error(admin, action, KeyId=key_id, **params)
        assert (error.http_status, error.error_code) == (400, "Rejected.UnsupportedOperation")
        assert "Key versions are not supported" in error.message
        assert "external key manager" in error.message
    assert admin.core_call("DescribeKey", KeyId=key_id)["KeyMetadata"]["PrimaryKeyVersion"] == (
        version_id
    )
    nobody = alibaba_for(server, iam.person().id)
    hidden = core_error(nobody, "CreateKeyVersion", KeyId=key_id)
    assert (hidden.http_status, hidden.error_code) == (404, "Forbidden.KeyNotFound")

    # A data key under an external key is wrapped by the EKM, and exported all the same.
    context = json.dumps({"ref": uuid.uuid4().hex})
    made = admin.core_call(
        "GenerateAndExportDataKey",
        KeyId=key_id,
        PublicKeyBlob=_blob(rsa_2048),
        WrappingKeySpec="RSA_2048",
        WrappingAlgorithm="RSAES_OAEP_SHA_256",
        EncryptionContext=context,
    )
    assert made["KeyVersionId"] == version_id
    data_key = _unwrap(rsa_2048, made["ExportedDataKey"], hashes.SHA256)
    opened = admin.core_call(
        "Decrypt", CiphertextBlob=made["CiphertextBlob"], EncryptionContext=context
    )
    assert base64.b64decode(opened["Plaintext"]) == data_key
