"""The Alibaba KMS API (2016-01-20) through both official Python SDKs against a real server:
keys and crypto, one object whatever API touches it, and bad input in Alibaba's error shape."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from tests.integration import iam_support
from tests.integration.alibaba.support import (
    Alibaba,
    CoreError,
    TeaError,
    alibaba_for,
    core_error,
    tea_models,
)
from tests.integration.iam_support import Iam
from tests.integration.support import Server, crypto_client, management_client


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_create_describe_and_encrypt_through_both_sdks(admin: Alibaba, vault_id: str) -> None:
    tea = admin.tea()
    made = tea.create_key(
        tea_models.CreateKeyRequest(dkmsinstance_id=vault_id, description="orders")
    ).body.key_metadata
    assert made.key_id.startswith("ocid1.key.") and made.key_state == "Enabled"
    assert made.key_spec == "Aliyun_AES_256" and made.description == "orders"
    assert made.dkmsinstance_id == vault_id

    described = admin.core_call("DescribeKey", KeyId=made.key_id)["KeyMetadata"]
    assert described["KeyId"] == made.key_id and described["Description"] == "orders"

    context = {"order": "42", "app": "shop"}
    sealed = tea.encrypt(
        tea_models.EncryptRequest(
            key_id=made.key_id,
            plaintext=_b64(b"card data"),
            encryption_context=context,
        )
    ).body
    assert sealed.key_id == made.key_id and sealed.key_version_id
    # The other SDK, the other signature, other JSON spacing of the same context.
    opened = admin.core_call(
        "Decrypt",
        CiphertextBlob=sealed.ciphertext_blob,
        EncryptionContext=json.dumps(dict(reversed(context.items())), separators=(",", ":")),
    )
    assert base64.b64decode(opened["Plaintext"]) == b"card data"
    assert opened["KeyId"] == made.key_id

    v2 = (
        admin.tea(v2=True)
        .decrypt(
            tea_models.DecryptRequest(
                ciphertext_blob=sealed.ciphertext_blob, encryption_context=context
            )
        )
        .body
    )
    assert base64.b64decode(v2.plaintext) == b"card data"


def test_one_key_whatever_api_touches_it(
    admin: Alibaba, iam: Iam, server: Server, vault_id: str
) -> None:
    oci_key = iam.key(_vault(iam, vault_id))
    described = admin.core_call("DescribeKey", KeyId=oci_key.id)["KeyMetadata"]
    assert described["KeyState"] == "Enabled" and described["DKMSInstanceId"] == vault_id
    # OCI ciphertext -> Alibaba Decrypt (no KeyId: the blob names its key version).
    crypto = crypto_client(server.config, _vault(iam, vault_id))
    blob = iam_support.encrypt(crypto, oci_key, b"from oci")
    opened = admin.core_call("Decrypt", CiphertextBlob=blob)
    assert base64.b64decode(opened["Plaintext"]) == b"from oci"
    # Alibaba ciphertext -> OCI Decrypt.
    sealed = admin.core_call("Encrypt", KeyId=oci_key.id, Plaintext=_b64(b"from alibaba"))
    assert iam_support.decrypt(crypto, oci_key, sealed["CiphertextBlob"]) == b"from alibaba"
    # Disabled through Alibaba: OCI sees it, and Encrypt is refused with Rejected.Disabled.
    admin.core_call("DisableKey", KeyId=oci_key.id)
    management = management_client(server.config, _vault(iam, vault_id))
    assert management.get_key(oci_key.id).data.lifecycle_state == "DISABLED"
    error = core_error(admin, "Encrypt", KeyId=oci_key.id, Plaintext=_b64(b"x"))
    assert (error.http_status, error.error_code) == (409, "Rejected.Disabled")
    admin.core_call("EnableKey", KeyId=oci_key.id)
    assert management.get_key(oci_key.id).data.lifecycle_state == "ENABLED"


def _vault(iam: Iam, vault_id: str) -> Any:
    return iam.admin_vaults.get_vault(vault_id).data


def test_lifecycle_and_listing(admin: Alibaba, vault_id: str) -> None:
    key_id = admin.core_call("CreateKey", DKMSInstanceId=vault_id)["KeyMetadata"]["KeyId"]
    admin.core_call("UpdateKeyDescription", KeyId=key_id, Description="renamed")
    admin.core_call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays="200")
    described = admin.core_call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert described["KeyState"] == "PendingDeletion" and described["DeleteDate"]
    error = core_error(admin, "Encrypt", KeyId=key_id, Plaintext=_b64(b"x"))
    assert (error.http_status, error.error_code) == (409, "Rejected.PendingDeletion")
    error = core_error(admin, "EnableKey", KeyId=key_id)
    assert (error.http_status, error.error_code) == (409, "Rejected.StateModifiedFailed")
    admin.core_call("CancelKeyDeletion", KeyId=key_id)
    listed = admin.core_call(
        "ListKeys", Filters=json.dumps([{"Key": "KeyState", "Values": ["Enabled"]}]), PageSize="100"
    )
    assert key_id in [k["KeyId"] for k in listed["Keys"]["Key"]]
    assert listed["TotalCount"] >= 1


def test_data_keys_and_reencrypt(admin: Alibaba, vault_id: str) -> None:
    first = admin.core_call("CreateKey", DKMSInstanceId=vault_id)["KeyMetadata"]["KeyId"]
    second = admin.core_call("CreateKey", DKMSInstanceId=vault_id)["KeyMetadata"]["KeyId"]
    made = admin.core_call("GenerateDataKey", KeyId=first, NumberOfBytes="64")
    assert len(base64.b64decode(made["Plaintext"])) == 64
    bare = admin.core_call("GenerateDataKeyWithoutPlaintext", KeyId=first, KeySpec="AES_128")
    assert "Plaintext" not in bare
    moved = admin.core_call(
        "ReEncrypt", CiphertextBlob=made["CiphertextBlob"], DestinationKeyId=second
    )
    assert moved["KeyId"] == second and moved["SourceKeyId"] == first
    opened = admin.core_call("Decrypt", CiphertextBlob=moved["CiphertextBlob"])
    assert opened["Plaintext"] == made["Plaintext"]


def test_instances(admin: Alibaba, vault_id: str) -> None:
    listed = admin.core_call("ListKmsInstances", PageSize="100")
    assert vault_id in [i["KmsInstanceId"] for i in listed["KmsInstances"]["KmsInstance"]]
    got = admin.core_call("GetKmsInstance", KmsInstanceId=vault_id)["KmsInstance"]
    assert got["KmsInstanceId"] == vault_id and got["InstanceType"] == "DEFAULT"


# --- bad input -----------------------------------------------------------------------------


def _raw(server: Server, query: str) -> requests.Response:
    return requests.post(f"{server.url}/?{query}", timeout=10)


def _is_alibaba_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["Code"] == code and body["Message"] and body["RequestId"], body


def test_unsigned_and_forged_requests_are_refused(server: Server, admin: Alibaba) -> None:
    _is_alibaba_error(_raw(server, "Action=ListKeys&Version=2016-01-20"), 400, "MissingParameter")
    wrong = Alibaba(admin.endpoint, admin.access_key_id, "not-the-secret")
    with pytest.raises(CoreError) as caught:
        wrong.core_call("ListKeys")
    assert caught.value.error_code == "SignatureDoesNotMatch"
    unknown = Alibaba(admin.endpoint, "ocid1.credential.oc1..unknown", admin.secret)
    with pytest.raises(TeaError) as tea_caught:
        unknown.tea().list_keys(tea_models.ListKeysRequest())
    assert tea_caught.value.code == "InvalidAccessKeyId.NotFound"


def test_unknown_action_and_bad_parameters(admin: Alibaba, vault_id: str) -> None:
    error = core_error(admin, "NoSuchAction")
    assert (error.http_status, error.error_code) == (404, "InvalidAction.NotFound")
    error = core_error(admin, "Encrypt", KeyId="ocid1.key.oc1..missing", Plaintext=_b64(b"x"))
    assert (error.http_status, error.error_code) == (404, "Forbidden.KeyNotFound")
    assert core_error(admin, "Encrypt", Plaintext=_b64(b"x")).error_code == "MissingParameter"
    key_id = admin.core_call("CreateKey", DKMSInstanceId=vault_id)["KeyMetadata"]["KeyId"]
    bad = core_error(admin, "Encrypt", KeyId=key_id, Plaintext="not base64!")
    assert bad.error_code == "InvalidParameter"
    bad = core_error(admin, "Encrypt", KeyId=key_id, Plaintext="eA==", EncryptionContext="[1]")
    assert bad.error_code == "InvalidParameter"
    bad = core_error(admin, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays="400")
    assert bad.error_code == "InvalidParameter"
    bad = core_error(admin, "CreateKey", DKMSInstanceId=vault_id, KeySpec="Aliyun_SM4")
    assert bad.error_code == "InvalidParameter"
    bad = core_error(admin, "CreateKey", DKMSInstanceId=vault_id, Origin="EXTERNAL")
    assert bad.error_code == "Rejected.UnsupportedOperation"
    tags = json.dumps([{"TagKey": f"k{i}", "TagValue": "v"} for i in range(21)])
    bad = core_error(admin, "CreateKey", DKMSInstanceId=vault_id, Tags=tags)
    assert bad.error_code == "Tag.LimitExceeded"
    reserved = json.dumps([{"TagKey": "acs:owner", "TagValue": "v"}])
    bad = core_error(admin, "CreateKey", DKMSInstanceId=vault_id, Tags=reserved)
    assert bad.error_code == "InvalidParameter"
    garbage = core_error(admin, "Decrypt", CiphertextBlob=_b64(b"garbage"))
    assert garbage.error_code == "InvalidCiphertext"


def test_a_key_the_caller_may_not_use_looks_missing(
    iam: Iam, server: Server, admin: Alibaba, vault_id: str
) -> None:
    key_id = admin.core_call("CreateKey", DKMSInstanceId=vault_id)["KeyMetadata"]["KeyId"]
    nobody = alibaba_for(server, iam.person().id)
    with pytest.raises(CoreError) as caught:
        nobody.core_call("Encrypt", KeyId=key_id, Plaintext=_b64(b"x"))
    assert (caught.value.http_status, caught.value.error_code) == (404, "Forbidden.KeyNotFound")
    assert nobody.core_call("ListKeys")["TotalCount"] == 0


# --- aliases -------------------------------------------------------------------------------


def test_aliases_name_keys_in_every_action(admin: Alibaba, vault_id: str) -> None:
    first = admin.core_call("CreateKey", DKMSInstanceId=vault_id)["KeyMetadata"]["KeyId"]
    second = admin.core_call("CreateKey", DKMSInstanceId=vault_id)["KeyMetadata"]["KeyId"]
    tea = admin.tea()
    tea.create_alias(tea_models.CreateAliasRequest(alias_name="alias/orders", key_id=first))
    sealed = admin.core_call("Encrypt", KeyId="alias/orders", Plaintext=_b64(b"x"))
    assert sealed["KeyId"] == first
    assert admin.core_call("DescribeKey", KeyId="alias/orders")["KeyMetadata"]["KeyId"] == first
    admin.core_call("UpdateAlias", AliasName="alias/orders", KeyId=second)
    assert admin.core_call("Encrypt", KeyId="alias/orders", Plaintext="eA==")["KeyId"] == second
    by_key = admin.core_call("ListAliasesByKeyId", KeyId=second)["Aliases"]["Alias"]
    assert [a["AliasName"] for a in by_key] == ["alias/orders"]
    listed = tea.list_aliases(tea_models.ListAliasesRequest(page_size=100)).body
    assert "alias/orders" in [a.alias_name for a in listed.aliases.alias]
    admin.core_call("DeleteAlias", AliasName="alias/orders")
    error = core_error(admin, "Encrypt", KeyId="alias/orders", Plaintext="eA==")
    assert (error.http_status, error.error_code) == (404, "Forbidden.AliasNotFound")


def test_alias_bad_input(admin: Alibaba, vault_id: str) -> None:
    key_id = admin.core_call("CreateKey", DKMSInstanceId=vault_id)["KeyMetadata"]["KeyId"]
    admin.core_call("CreateAlias", AliasName="alias/taken", KeyId=key_id)
    taken = core_error(admin, "CreateAlias", AliasName="alias/taken", KeyId=key_id)
    assert (taken.http_status, taken.error_code) == (400, "AliasAlreadyExists")
    for name in ("orders", "alias/", "alias/b@d", "alias/" + "x" * 300):
        error = core_error(admin, "CreateAlias", AliasName=name, KeyId=key_id)
        assert error.error_code == "InvalidParameter", (name, error.error_code)
    missing = core_error(admin, "DeleteAlias", AliasName="alias/nothing")
    assert (missing.http_status, missing.error_code) == (404, "Forbidden.AliasNotFound")
    no_key = core_error(admin, "CreateAlias", AliasName="alias/x", KeyId="ocid1.key.oc1..none")
    assert no_key.error_code == "Forbidden.KeyNotFound"


# --- deletion protection and force -----------------------------------------------------------


def test_deletion_protection_through_both_apis(
    admin: Alibaba, iam: Iam, server: Server, vault_id: str
) -> None:
    key_id = admin.core_call("CreateKey", DKMSInstanceId=vault_id)["KeyMetadata"]["KeyId"]
    arn = admin.core_call("DescribeKey", KeyId=key_id)["KeyMetadata"]["Arn"]
    admin.core_call(
        "SetDeletionProtection",
        ProtectedResourceArn=arn,
        EnableDeletionProtection="true",
        DeletionProtectionDescription="payments",
    )
    shown = admin.core_call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert shown["DeletionProtection"] == "Enabled"
    assert shown["DeletionProtectionDescription"] == "payments"
    error = core_error(admin, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays="7")
    assert (error.http_status, error.error_code) == (409, "Rejected.DeletionProtection")
    assert "payments" in error.message
    management = management_client(server.config, _vault(iam, vault_id))
    with pytest.raises(Exception) as caught:
        management.schedule_key_deletion(key_id, _oci_schedule())
    assert getattr(caught.value, "status", None) == 409
    admin.core_call(
        "SetDeletionProtection", ProtectedResourceArn=arn, EnableDeletionProtection="false"
    )
    admin.core_call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays="7")


def _oci_schedule() -> Any:
    from oci.key_management import models as m

    return m.ScheduleKeyDeletionDetails()


def test_deletion_protection_bad_input(
    iam: Iam, server: Server, admin: Alibaba, vault_id: str
) -> None:
    key_id = admin.core_call("CreateKey", DKMSInstanceId=vault_id)["KeyMetadata"]["KeyId"]
    for arn in ("not-an-arn", f"acs:kms:elsewhere-1:{server.tenancy}:key/{key_id}"):
        error = core_error(
            admin,
            "SetDeletionProtection",
            ProtectedResourceArn=arn,
            EnableDeletionProtection="true",
        )
        assert error.error_code == "InvalidParameter", arn
    arn = admin.core_call("DescribeKey", KeyId=key_id)["KeyMetadata"]["Arn"]
    reader_group = iam.group()
    iam.policy(f"Allow group {reader_group.name} to use keys in tenancy")
    reader = alibaba_for(server, iam.person(reader_group).id)
    with pytest.raises(CoreError) as caught:
        reader.core_call(
            "SetDeletionProtection", ProtectedResourceArn=arn, EnableDeletionProtection="false"
        )
    assert caught.value.http_status == 404
    missing = core_error(admin, "SetDeletionProtection", ProtectedResourceArn=arn)
    assert missing.error_code == "MissingParameter"


def test_scheduling_deletion_of_a_key_protecting_secrets_needs_force(
    admin: Alibaba, server: Server, vault_id: str
) -> None:
    import oci

    key_id = admin.core_call("CreateKey", DKMSInstanceId=vault_id)["KeyMetadata"]["KeyId"]
    secrets = oci.vault.VaultsClient(server.config, service_endpoint=server.url)
    content = oci.vault.models.Base64SecretContentDetails(content=_b64(b"pw"))
    details = oci.vault.models.CreateSecretDetails(
        compartment_id=server.tenancy,
        vault_id=vault_id,
        key_id=key_id,
        secret_name=f"db-{key_id[-8:]}",
        secret_content=content,
    )
    secrets.create_secret(details)
    error = core_error(admin, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays="7")
    assert (error.http_status, error.error_code) == (409, "Rejected.KeyInUse")
    assert "1 live secret" in error.message and "force" in error.message.lower()
    admin.core_call("ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays="7", Force="true")
    state = admin.core_call("DescribeKey", KeyId=key_id)["KeyMetadata"]["KeyState"]
    assert state == "PendingDeletion"
