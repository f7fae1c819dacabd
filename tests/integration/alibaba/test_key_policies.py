"""Key policies through both official Alibaba SDKs against a real server: SetKeyPolicy and
GetKeyPolicy (a 32 KB policy sent percent-encoded in the query by each SDK), the default
policy, CreateKey's ``Policy``, refusals in Alibaba's error shape with nothing stored (also
from the listener itself, for a request too large to read), and the policy deciding beside
IAM for the key whatever API is used: within the tenancy and from another one."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any
from urllib.parse import quote

import pytest

from strongroom.iam.key_policy import MAX_POLICY_BYTES, default_policy
from strongroom.services.identity import customer_secret_keys, users
from strongroom.services.identity.bootstrap import ensure_tenancy, new_admin_identity
from tests.integration import iam_support
from tests.integration.alibaba.support import (
    Alibaba,
    TeaError,
    alibaba_for,
    core_error,
    tea_models,
)
from tests.integration.iam_support import Iam
from tests.integration.support import Server, management_client
from tests.usecases import support as usecase_support
from tests.usecases.identity_support import api_key_pem, grant, new_group


def _new_key(admin: Alibaba, vault_id: str, **params: Any) -> str:
    made = admin.core_call("CreateKey", DKMSInstanceId=vault_id, **params)
    return str(made["KeyMetadata"]["KeyId"])


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "1", "Statement": list(statements)})


def _statement(
    effect: str, principal: str, *actions: str, sid: str | None = None
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "Effect": effect,
        "Principal": {"RAM": [principal]},
        "Action": list(actions),
        "Resource": ["*"],
    }
    if sid is not None:
        found["Sid"] = sid
    return found


def _largest_policy(tenancy: str) -> str:
    """A policy of exactly 32,768 bytes that percent-encodes to nearly three times that (all
    but one statement is whitespace, which the SDKs send as %20): the longest query string a
    policy the service accepts can make."""
    document = _document(_statement("Allow", f"acs:ram::{tenancy}:*", "kms:*", sid=" " * 128))
    padded = document[:-2] + " " * (MAX_POLICY_BYTES - len(document.encode())) + "]}"
    assert len(padded.encode()) == MAX_POLICY_BYTES and json.loads(padded)
    assert len(quote(padded, safe="")) > 2.9 * MAX_POLICY_BYTES
    return padded


def _tea_policy(admin: Alibaba, key_id: str, v2: bool = False) -> str:
    request = tea_models.GetKeyPolicyRequest(key_id=key_id, policy_name="default")
    return str(admin.tea(v2=v2).get_key_policy(request).body.policy)


def _tea_error(call: Any, *args: Any) -> TeaError:
    with pytest.raises(TeaError) as caught:
        call(*args)
    return caught.value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- set and get ---------------------------------------------------------------------------


def test_a_new_key_has_the_default_policy_through_both_sdks(
    admin: Alibaba, server: Server, vault_id: str
) -> None:
    key_id = _new_key(admin, vault_id)
    assert _tea_policy(admin, key_id) == default_policy(server.tenancy)
    answer = admin.core_call("GetKeyPolicy", KeyId=key_id)
    assert answer["Policy"] == default_policy(server.tenancy)
    assert answer["PolicyName"] == "default" and answer["RequestId"]
    document = json.loads(answer["Policy"])
    assert document["Statement"][0]["Principal"] == {"RAM": [f"acs:ram::{server.tenancy}:*"]}


def test_a_32_kb_policy_is_set_and_read_by_both_sdks(
    admin: Alibaba, server: Server, vault_id: str
) -> None:
    largest = _largest_policy(server.tenancy)
    # The Tea SDK, ACS3-HMAC-SHA256 and HMAC-SHA1 (v2), Policy in the query string.
    for v2 in (False, True):
        key_id = _new_key(admin, vault_id)
        request = tea_models.SetKeyPolicyRequest(
            key_id=key_id, policy=largest, policy_name="default"
        )
        admin.tea(v2=v2).set_key_policy(request)
        assert _tea_policy(admin, key_id, v2=v2) == largest
    # The core SDK: every parameter in the query.
    key_id = _new_key(admin, vault_id)
    admin.core_call("SetKeyPolicy", KeyId=key_id, Policy=largest, PolicyName="default")
    assert admin.core_call("GetKeyPolicy", KeyId=key_id)["Policy"] == largest
    # And CreateKey's Policy, from both.
    made = (
        admin.tea()
        .create_key(tea_models.CreateKeyRequest(dkmsinstance_id=vault_id, policy=largest))
        .body.key_metadata
    )
    assert _tea_policy(admin, made.key_id) == largest
    assert (
        admin.core_call("GetKeyPolicy", KeyId=_new_key(admin, vault_id, Policy=largest))["Policy"]
        == largest
    )


def test_bad_policies_are_refused_in_alibabas_shape_and_nothing_is_stored(
    admin: Alibaba, server: Server, vault_id: str
) -> None:
    key_id = _new_key(admin, vault_id)
    tenancy = server.tenancy
    good = _document(_statement("Allow", f"acs:ram::{tenancy}:*", "kms:*"))
    cases = [
        ({"Policy": good + " " * (MAX_POLICY_BYTES + 1 - len(good))}, "at most 32768 bytes"),
        ({"Policy": '{"Version": "1", "Statement": ['}, "not valid JSON"),
        ({"Policy": _document(_statement("Allow", f"acs:ram::{tenancy}:*", "kms:Fly"))}, "kms:Fly"),
        (
            {"Policy": _document(_statement("Permit", f"acs:ram::{tenancy}:*", "kms:*"))},
            "Effect must be Allow or Deny",
        ),
        ({"Policy": good, "PolicyName": "mine"}, "PolicyName must be 'default'"),
    ]
    for params, why in cases:
        error = core_error(admin, "SetKeyPolicy", KeyId=key_id, **params)
        assert (error.http_status, error.error_code) == (400, "InvalidParameter"), why
        assert why in error.message and error.request_id
        tea_error = _tea_error(
            admin.tea().set_key_policy,
            tea_models.SetKeyPolicyRequest(
                key_id=key_id, policy=params["Policy"], policy_name=params.get("PolicyName")
            ),
        )
        assert tea_error.code == "InvalidParameter" and why in str(tea_error.message)
    error = core_error(admin, "SetKeyPolicy", KeyId=key_id)
    assert (error.http_status, error.error_code) == (400, "MissingParameter")
    assert admin.core_call("GetKeyPolicy", KeyId=key_id)["Policy"] == default_policy(tenancy)
    # CreateKey with a bad policy makes no key.
    before = admin.core_call("ListKeys", PageSize=100)["TotalCount"]
    error = core_error(
        admin,
        "CreateKey",
        DKMSInstanceId=vault_id,
        Policy=_document(_statement("Allow", f"acs:ram::{tenancy}:*", "kms:Fly")),
    )
    assert error.error_code == "InvalidParameter"
    assert admin.core_call("ListKeys", PageSize=100)["TotalCount"] == before


def test_a_request_too_large_for_the_listener_gets_alibabas_error_json(
    admin: Alibaba, vault_id: str
) -> None:
    key_id = _new_key(admin, vault_id)
    huge = " " * (200 * 1024)  # 600 KB percent-encoded: past the listener's 128 KB head
    error = core_error(admin, "SetKeyPolicy", KeyId=key_id, Policy=huge)
    assert (error.http_status, error.error_code) == (431, "RequestHeaderFieldsTooLarge")
    assert error.request_id
    request = tea_models.SetKeyPolicyRequest(key_id=key_id, policy=huge)
    tea_error = _tea_error(admin.tea().set_key_policy, request)
    assert tea_error.code == "RequestHeaderFieldsTooLarge"
    assert getattr(tea_error, "statusCode", None) == 431


# --- deciding beside IAM, for the key whatever API ------------------------------------------


def test_a_deny_in_the_key_policy_refuses_a_caller_iam_allows(
    admin: Alibaba, iam: Iam, server: Server, vault_id: str
) -> None:
    group = iam.group()
    iam.policy(f"Allow group {group.name} to manage keys in tenancy")
    person = iam.person(group)
    user = alibaba_for(server, person.id)
    key_id = _new_key(admin, vault_id)
    sealed = user.core_call("Encrypt", KeyId=key_id, Plaintext=_b64(b"orders"))["CiphertextBlob"]
    deny = _statement("Deny", f"acs:ram::{server.tenancy}:user/{person.id}", "kms:Decrypt")
    admin.tea().set_key_policy(
        tea_models.SetKeyPolicyRequest(key_id=key_id, policy=_document(deny))
    )
    error = core_error(user, "Decrypt", CiphertextBlob=sealed)
    assert (error.http_status, error.error_code) == (404, "Forbidden.KeyNotFound")
    tea_error = _tea_error(user.tea().decrypt, tea_models.DecryptRequest(ciphertext_blob=sealed))
    assert tea_error.code == "Forbidden.KeyNotFound"
    # The same key through the OCI API: refused there too.
    vault = iam.admin_vaults.get_vault(vault_id).data
    key = management_client(server.config, vault).get_key(key_id).data
    iam_support.refused(iam_support.decrypt, person.crypto(vault), key, sealed)
    # What the Deny does not name still works.
    user.core_call("Encrypt", KeyId=key_id, Plaintext=_b64(b"more"))
    iam_support.encrypt(person.crypto(vault), key)


def test_an_allow_in_the_key_policy_lets_in_a_caller_iam_does_not_allow(
    admin: Alibaba, iam: Iam, server: Server, vault_id: str
) -> None:
    person = iam.person()  # in no group: IAM allows nothing
    user = alibaba_for(server, person.id)
    key_id = _new_key(admin, vault_id)
    error = core_error(user, "Encrypt", KeyId=key_id, Plaintext=_b64(b"x"))
    assert error.error_code == "Forbidden.KeyNotFound"
    allow = _statement(
        "Allow",
        f"acs:ram::{server.tenancy}:user/{person.user.name}",  # by name, as Alibaba writes it
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:DescribeKey",
    )
    admin.core_call("SetKeyPolicy", KeyId=key_id, Policy=_document(allow))
    sealed = (
        user.tea()
        .encrypt(tea_models.EncryptRequest(key_id=key_id, plaintext=_b64(b"let in")))
        .body.ciphertext_blob
    )
    opened = user.core_call("Decrypt", CiphertextBlob=sealed)
    assert base64.b64decode(opened["Plaintext"]) == b"let in"
    assert user.core_call("DescribeKey", KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id
    for action in ("DisableKey", "GetKeyPolicy"):
        assert core_error(user, action, KeyId=key_id).error_code == "Forbidden.KeyNotFound"
    error = core_error(user, "SetKeyPolicy", KeyId=key_id, Policy=_document(allow))
    assert error.error_code == "Forbidden.KeyNotFound"


def test_key_policy_actions_of_tagging_and_data_key_export_grant_them(
    admin: Alibaba, iam: Iam, server: Server, vault_id: str
) -> None:
    person = iam.person()  # in no group: IAM allows nothing
    user = alibaba_for(server, person.id)
    key_id = _new_key(admin, vault_id)
    tags = json.dumps([{"TagKey": "team", "TagValue": "payments"}])
    assert core_error(user, "TagResource", KeyId=key_id, Tags=tags).error_code == (
        "Forbidden.KeyNotFound"
    )
    allow = _statement(
        "Allow",
        f"acs:ram::{server.tenancy}:user/{person.id}",
        "kms:TagResource",
        "kms:GenerateAndExportDataKey",
    )
    admin.core_call("SetKeyPolicy", KeyId=key_id, Policy=_document(allow))
    user.core_call("TagResource", KeyId=key_id, Tags=tags)
    listed = admin.core_call("ListResourceTags", KeyId=key_id)["Tags"]["Tag"]
    assert [(t["TagKey"], t["TagValue"]) for t in listed] == [("team", "payments")]
    error = core_error(user, "UntagResource", KeyId=key_id, TagKeys='["team"]')
    assert error.error_code == "Forbidden.KeyNotFound"  # kms:UntagResource was not granted
    public = _public_key_blob()
    made = user.core_call(
        "GenerateAndExportDataKey",
        KeyId=key_id,
        PublicKeyBlob=public,
        WrappingKeySpec="RSA_2048",
        WrappingAlgorithm="RSAES_OAEP_SHA_256",
    )
    assert made["KeyId"] == key_id and made["ExportedDataKey"]
    error = core_error(user, "GenerateDataKey", KeyId=key_id)
    assert error.error_code == "Forbidden.KeyNotFound"  # kms:GenerateDataKey was not granted


def _public_key_blob() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _b64(der)


# --- another tenancy ------------------------------------------------------------------------


def _away_user(server: Server, *statements: str) -> tuple[str, str, Alibaba]:
    """A user of a new tenancy whose IAM grants ``statements`` to a group it is in: the
    tenancy, the user, and an access key of the user."""
    deps = server.deps
    name = uuid.uuid4().hex[:8]
    identity = new_admin_identity(deps, f"away-{name}", f"admin-{name}", api_key_pem())
    ensure_tenancy(deps, identity)
    away_admin = usecase_support.admin_call(deps, identity)
    user = users.create_user(deps, away_admin, users.CreateUserRequest(f"user-{name}"))
    if statements:
        group = new_group(deps, away_admin, user)
        grant(deps, away_admin, *(s.format(group=group.name) for s in statements))
    made = customer_secret_keys.create_customer_secret_key(
        deps,
        away_admin,
        customer_secret_keys.CreateCustomerSecretKeyRequest(user_id=user.id, display_name="ali"),
    )
    endpoint = server.url.split("://", 1)[1]
    return identity.tenancy_id, user.id, Alibaba(endpoint, made.key.id, made.secret)


def test_another_tenancy_uses_a_key_its_iam_and_the_key_policy_both_allow(
    admin: Alibaba, server: Server, vault_id: str
) -> None:
    key_id = _new_key(admin, vault_id)
    arn = admin.core_call("DescribeKey", KeyId=key_id)["KeyMetadata"]["Arn"]
    sealed = admin.core_call("Encrypt", KeyId=key_id, Plaintext=_b64(b"shared"))["CiphertextBlob"]
    tenancy, user_id, away = _away_user(server, "Allow group {group} to use keys in tenancy")
    _, lone_id, lone = _away_user(server)  # IAM allows it nothing
    # The default policy: the key is not found from another tenancy.
    error = core_error(away, "Encrypt", KeyId=arn, Plaintext=_b64(b"x"))
    assert (error.http_status, error.error_code) == (404, "Forbidden.KeyNotFound")
    policy = _document(
        _statement("Allow", f"acs:ram::{server.tenancy}:*", "kms:*"),
        _statement(
            "Allow", f"acs:ram::{tenancy}:*", "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"
        ),
    )
    admin.core_call("SetKeyPolicy", KeyId=key_id, Policy=policy)
    # Both allow: named by its ARN, through both SDKs.
    made = (
        away.tea().encrypt(tea_models.EncryptRequest(key_id=arn, plaintext=_b64(b"from away"))).body
    )
    assert made.key_id == key_id
    opened = away.core_call("Decrypt", CiphertextBlob=sealed)
    assert base64.b64decode(opened["Plaintext"]) == b"shared"
    mine = admin.core_call("Decrypt", CiphertextBlob=made.ciphertext_blob)
    assert base64.b64decode(mine["Plaintext"]) == b"from away"
    assert away.core_call("DescribeKey", KeyId=arn)["KeyMetadata"]["KeyId"] == key_id
    # Its bare id names no key of the caller's tenancy.
    error = core_error(away, "Encrypt", KeyId=key_id, Plaintext=_b64(b"x"))
    assert error.error_code == "Forbidden.KeyNotFound"
    # A key user's actions only, and the key policy alone is not enough.
    for action in ("DisableKey", "GetKeyPolicy"):
        assert core_error(away, action, KeyId=arn).error_code == "Forbidden.KeyNotFound"
    assert core_error(lone, "Encrypt", KeyId=arn, Plaintext=_b64(b"x")).error_code == (
        "Forbidden.KeyNotFound"
    )
    assert lone_id != user_id
