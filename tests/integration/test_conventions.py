"""OCI API conventions: opc-request-id, etag / if-match, opc-retry-token."""

from __future__ import annotations

import uuid

from oci.key_management import KmsCryptoClient, KmsManagementClient, KmsVaultClient
from oci.key_management import models as m

from tests.helpers import b64e
from tests.integration import support
from tests.integration.support import Raw, assert_oci_error, service_error


def test_every_response_has_an_opc_request_id(
    vault_client: KmsVaultClient,
    kms: KmsManagementClient,
    crypto: KmsCryptoClient,
    vault: m.Vault,
    aes_key: m.Key,
    tenancy: str,
    raw: Raw,
) -> None:
    responses = [
        vault_client.get_vault(vault.id),
        vault_client.list_vaults(tenancy),
        vault_client.update_vault(vault.id, m.UpdateVaultDetails(display_name="named")),
        kms.get_key(aes_key.id),
        kms.list_keys(tenancy),
        kms.list_key_versions(aes_key.id),
        crypto.encrypt(m.EncryptDataDetails(key_id=aes_key.id, plaintext=b64e(b"x"))),
    ]
    ids = [r.request_id for r in responses]
    assert all(ids), ids
    assert len(set(ids)) == len(ids), "each call gets its own id"

    # A caller-chosen id is echoed back, on success and on error alike.
    mine = uuid.uuid4().hex.upper()
    assert vault_client.get_vault(vault.id, opc_request_id=mine).request_id == mine
    other = uuid.uuid4().hex.upper()
    error = service_error(
        kms.get_key,
        "ocid1.key.oc1.us-ashburn-1..aaaaaaaa" + "c" * 53,
        opc_request_id=other,
        status=404,
    )
    assert error.request_id == other

    # Error paths outside the handlers carry one too.
    assert_oci_error(raw.get("/20180608/nothing-here"), 404, "NotAuthorizedOrNotFound")
    assert_oci_error(raw.get("/20180608/vaults", signed=False), 401, "NotAuthenticated")
    patch = raw.request("PATCH", f"/20180608/vaults/{vault.id}", body={})
    assert_oci_error(patch, 405, "MethodNotAllowed")
    # The hot routes (dispatched ahead of Starlette's router) answer the same way.
    assert_oci_error(raw.get(f"/kms/{vault.id}/crypto/20180608/encrypt"), 405, "MethodNotAllowed")
    bundle = raw.request("PUT", f"/20190301/secretbundles/{vault.id}", body={})
    assert_oci_error(bundle, 405, "MethodNotAllowed")
    unsigned = raw.post(f"/kms/{vault.id}/crypto/20180608/encrypt", body={}, signed=False)
    assert_oci_error(unsigned, 401, "NotAuthenticated")


def test_etags_and_stale_if_match(vault_client: KmsVaultClient, vault: m.Vault) -> None:
    first = vault_client.get_vault(vault.id)
    etag = first.headers["etag"]
    assert etag
    assert vault_client.get_vault(vault.id).headers["etag"] == etag, "stable while unchanged"

    changed = vault_client.update_vault(
        vault.id, m.UpdateVaultDetails(display_name="first"), if_match=etag
    )
    fresh = changed.headers["etag"]
    assert fresh != etag

    # The old etag is now stale: refused, and nothing changes.
    error = service_error(
        vault_client.update_vault,
        vault.id,
        m.UpdateVaultDetails(display_name="second", freeform_tags={"x": "y"}),
        if_match=etag,
        status=412,
    )
    assert error.code == "NoEtagMatch"
    after = vault_client.get_vault(vault.id)
    assert after.data.display_name == "first"
    assert after.data.freeform_tags == {}
    assert after.headers["etag"] == fresh

    service_error(
        vault_client.schedule_vault_deletion,
        vault.id,
        m.ScheduleVaultDeletionDetails(),
        if_match=etag,
        status=412,
    )
    assert vault_client.get_vault(vault.id).data.lifecycle_state == "ACTIVE"

    # The current etag (and the wildcard) are accepted.
    vault_client.update_vault(vault.id, m.UpdateVaultDetails(display_name="third"), if_match=fresh)
    vault_client.update_vault(vault.id, m.UpdateVaultDetails(display_name="fourth"), if_match="*")
    assert vault_client.get_vault(vault.id).data.display_name == "fourth"


def test_key_etags_and_stale_if_match(kms: KmsManagementClient, aes_key: m.Key) -> None:
    etag = kms.get_key(aes_key.id).headers["etag"]
    version_etag = kms.get_key_version(aes_key.id, aes_key.current_key_version).headers["etag"]
    assert etag
    assert version_etag
    kms.update_key(aes_key.id, m.UpdateKeyDetails(display_name="new"), if_match=etag)
    for call in (kms.disable_key, kms.enable_key):
        service_error(call, aes_key.id, if_match=etag, status=412, code="NoEtagMatch")
    service_error(
        kms.update_key,
        aes_key.id,
        m.UpdateKeyDetails(display_name="newer"),
        if_match=etag,
        status=412,
        code="NoEtagMatch",
    )
    key = kms.get_key(aes_key.id).data
    assert key.display_name == "new"
    assert key.lifecycle_state == "ENABLED"


def test_retry_token_makes_create_vault_idempotent(
    vault_client: KmsVaultClient, raw: Raw, tenancy: str
) -> None:
    token = uuid.uuid4().hex
    details = m.CreateVaultDetails(
        compartment_id=tenancy, display_name="once", vault_type="DEFAULT"
    )
    before = raw.count_vaults()
    first = vault_client.create_vault(details, opc_retry_token=token)
    second = vault_client.create_vault(details, opc_retry_token=token)
    assert first.data.id == second.data.id
    assert first.data.time_created == second.data.time_created
    assert first.request_id != second.request_id
    assert raw.count_vaults() == before + 1

    # The same token for a different request is a conflict, and creates nothing.
    different = m.CreateVaultDetails(
        compartment_id=tenancy, display_name="twice", vault_type="DEFAULT"
    )
    service_error(
        vault_client.create_vault, different, opc_retry_token=token, status=409, code="Conflict"
    )
    assert raw.count_vaults() == before + 1

    # Without a token, every call creates.
    vault_client.create_vault(details)
    vault_client.create_vault(details)
    assert raw.count_vaults() == before + 3


def test_retry_token_on_key_creation_and_actions(
    kms: KmsManagementClient, raw: Raw, vault: m.Vault, tenancy: str
) -> None:
    token = uuid.uuid4().hex
    details = support.key_details(tenancy, "AES", 32)
    first = kms.create_key(details, opc_retry_token=token).data
    second = kms.create_key(details, opc_retry_token=token).data
    assert first.id == second.id
    assert first.current_key_version == second.current_key_version
    assert raw.count_keys(vault) == 1

    rotate_token = uuid.uuid4().hex
    v1 = kms.create_key_version(first.id, opc_retry_token=rotate_token).data
    v2 = kms.create_key_version(first.id, opc_retry_token=rotate_token).data
    assert v1.id == v2.id
    assert len(kms.list_key_versions(first.id).data) == 2


def test_retry_tokens_are_validated(vault_client: KmsVaultClient, tenancy: str) -> None:
    details = m.CreateVaultDetails(compartment_id=tenancy, display_name="t", vault_type="DEFAULT")
    service_error(vault_client.create_vault, details, opc_retry_token="x" * 65, status=400)
