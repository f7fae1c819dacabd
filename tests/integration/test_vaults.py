"""Vault life cycle through the official SDK's KmsVaultClient."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta

import oci
import pytest
from oci.key_management import KmsVaultClient
from oci.key_management import models as m

from tests.clock import ManualClock
from tests.helpers import b64e
from tests.integration import support
from tests.integration.support import Server, service_error


@pytest.mark.parametrize("vault_type", ["DEFAULT", "VIRTUAL_PRIVATE"])
def test_create_and_get_vault(
    vault_client: KmsVaultClient, server: Server, tenancy: str, vault_type: str
) -> None:
    name = f"create-{vault_type}-{uuid.uuid4().hex[:6]}"
    created = vault_client.create_vault(
        m.CreateVaultDetails(
            compartment_id=tenancy,
            display_name=name,
            vault_type=vault_type,
            freeform_tags={"team": "crypto"},
        )
    )
    vault = created.data
    assert vault.id.startswith("ocid1.vault.oc1.")
    assert vault.lifecycle_state == "ACTIVE"
    assert vault.vault_type == vault_type
    assert vault.display_name == name
    assert vault.compartment_id == tenancy
    assert vault.freeform_tags == {"team": "crypto"}
    assert vault.time_of_deletion is None
    assert vault.management_endpoint.startswith(server.url)
    assert vault.crypto_endpoint.startswith(server.url)
    assert vault.management_endpoint != vault.crypto_endpoint
    assert created.headers.get("etag")

    fetched = vault_client.get_vault(vault.id)
    assert fetched.data.id == vault.id
    assert fetched.data.display_name == name
    assert fetched.data.vault_type == vault_type
    assert fetched.data.time_created == vault.time_created
    assert fetched.headers["etag"] == created.headers["etag"]

    # The advertised endpoints really work: a key can be created through the management one.
    kms = support.management_client(server.config, vault)
    key = support.new_key(kms, tenancy, "AES", 16)
    assert key.vault_id == vault.id


def test_get_unknown_vault_is_not_found(vault_client: KmsVaultClient, server: Server) -> None:
    missing = "ocid1.vault.oc1.us-ashburn-1..aaaaaaaa" + "a" * 53
    service_error(vault_client.get_vault, missing, status=404, code="NotAuthorizedOrNotFound")


def test_list_vaults_paginates(vault_client: KmsVaultClient, tenancy: str) -> None:
    prefix = f"page-{uuid.uuid4().hex[:6]}"
    mine = {support.new_vault(vault_client, tenancy, f"{prefix}-{i}").id for i in range(5)}

    everything = vault_client.list_vaults(tenancy, limit=1000)
    assert everything.has_next_page is False
    all_ids = [v.id for v in everything.data]
    assert len(all_ids) == len(set(all_ids))
    assert mine <= set(all_ids)

    # Earlier tests in this worker made vaults too: size pages so the walk stays short.
    limit = max(2, math.ceil(len(all_ids) / 8))

    # The SDK's own pagination helper follows opc-next-page to the end.
    paged = oci.pagination.list_call_get_all_results(vault_client.list_vaults, tenancy, limit=limit)
    assert sorted(v.id for v in paged.data) == sorted(all_ids)

    # Manually: every page holds at most `limit` items and the tokens end the walk.
    seen: list[str] = []
    pages = 0
    token = None
    while True:
        response = vault_client.list_vaults(tenancy, limit=limit, page=token)
        pages += 1
        assert 1 <= len(response.data) <= limit
        seen.extend(v.id for v in response.data)
        if not response.has_next_page:
            assert response.next_page is None
            break
        token = response.next_page
        assert token
    assert seen == all_ids, "pages concatenate to the unpaged order, without gaps or repeats"
    assert pages == math.ceil(len(all_ids) / limit)

    by_name = oci.pagination.list_call_get_all_results(
        vault_client.list_vaults, tenancy, limit=limit, sort_by="DISPLAYNAME", sort_order="ASC"
    ).data
    names = [v.display_name for v in by_name]
    assert names == sorted(names)
    ours = [v for v in by_name if v.id in mine]
    assert [v.display_name for v in ours] == [f"{prefix}-{i}" for i in range(5)]


def test_list_vaults_with_bad_page_token(vault_client: KmsVaultClient, tenancy: str) -> None:
    service_error(
        vault_client.list_vaults, tenancy, page="not a token!", status=400, code="InvalidParameter"
    )
    garbage = b64e(b'{"o": -5}').rstrip("=")
    service_error(vault_client.list_vaults, tenancy, page=garbage, status=400)


def test_update_vault(vault_client: KmsVaultClient, vault: m.Vault) -> None:
    before = vault_client.get_vault(vault.id)
    updated = vault_client.update_vault(
        vault.id,
        m.UpdateVaultDetails(display_name="renamed", freeform_tags={"env": "test", "a": "b"}),
    )
    assert updated.data.display_name == "renamed"
    assert updated.data.freeform_tags == {"env": "test", "a": "b"}
    assert updated.headers["etag"] != before.headers["etag"]

    again = vault_client.get_vault(vault.id)
    assert again.data.display_name == "renamed"
    assert again.data.freeform_tags == {"env": "test", "a": "b"}
    assert again.headers["etag"] == updated.headers["etag"]

    # Only what is sent changes.
    vault_client.update_vault(vault.id, m.UpdateVaultDetails(freeform_tags={}))
    last = vault_client.get_vault(vault.id).data
    assert last.display_name == "renamed"
    assert last.freeform_tags == {}


def test_schedule_vault_deletion_window(
    vault_client: KmsVaultClient, vault: m.Vault, clock: ManualClock
) -> None:
    now = clock.now()
    for days in (6, 31, -1):
        details = m.ScheduleVaultDeletionDetails(time_of_deletion=now + timedelta(days=days))
        error = service_error(
            vault_client.schedule_vault_deletion,
            vault.id,
            details,
            status=400,
            code="InvalidParameter",
        )
        assert "7" in error.message
        assert "30" in error.message
    assert vault_client.get_vault(vault.id).data.lifecycle_state == "ACTIVE"

    for days in (7, 30):
        when = now + timedelta(days=days)
        scheduled = vault_client.schedule_vault_deletion(
            vault.id, m.ScheduleVaultDeletionDetails(time_of_deletion=when)
        ).data
        assert scheduled.lifecycle_state == "PENDING_DELETION"
        assert scheduled.time_of_deletion == when
        assert vault_client.get_vault(vault.id).data.lifecycle_state == "PENDING_DELETION"

        # Scheduling twice is a state conflict, not a silent success.
        service_error(
            vault_client.schedule_vault_deletion,
            vault.id,
            m.ScheduleVaultDeletionDetails(time_of_deletion=when),
            status=409,
        )

        cancelled = vault_client.cancel_vault_deletion(vault.id).data
        assert cancelled.lifecycle_state == "ACTIVE"
        assert cancelled.time_of_deletion is None

    # Without a time, OCI's default of 30 days applies.
    scheduled = vault_client.schedule_vault_deletion(
        vault.id, m.ScheduleVaultDeletionDetails()
    ).data
    assert scheduled.time_of_deletion == now + timedelta(days=30)
    service_error(
        vault_client.update_vault,
        vault.id,
        m.UpdateVaultDetails(display_name="x"),
        status=409,
        code="IncorrectState",
    )
    vault_client.cancel_vault_deletion(vault.id)
    service_error(vault_client.cancel_vault_deletion, vault.id, status=409, code="IncorrectState")


def test_vault_is_deleted_when_its_time_comes(
    vault_client: KmsVaultClient, server: Server, tenancy: str, clock: ManualClock
) -> None:
    vault = support.new_vault(vault_client, tenancy, "doomed")
    kms = support.management_client(server.config, vault)
    crypto = support.crypto_client(server.config, vault)
    key = support.new_key(kms, tenancy, "AES", 32)
    ciphertext = crypto.encrypt(m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"x"))).data

    when = clock.now() + timedelta(days=7)
    vault_client.schedule_vault_deletion(
        vault.id, m.ScheduleVaultDeletionDetails(time_of_deletion=when)
    )
    # While pending, the vault's keys cannot be used and no key can be added.
    service_error(
        crypto.encrypt,
        m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"x")),
        status=409,
        code="IncorrectState",
    )
    service_error(
        kms.create_key,
        support.key_details(tenancy, "AES", 32),
        status=409,
        code="IncorrectState",
    )

    clock.advance(timedelta(days=7, seconds=1))

    gone = vault_client.get_vault(vault.id).data
    assert gone.lifecycle_state == "DELETED"
    listed = {v.id: v for v in vault_client.list_vaults(tenancy, limit=1000).data}
    assert listed[vault.id].lifecycle_state == "DELETED"
    assert kms.get_key(key.id).data.lifecycle_state == "DELETED"

    details = m.DecryptDataDetails(key_id=key.id, ciphertext=ciphertext.ciphertext)
    service_error(crypto.decrypt, details, status=409, code="IncorrectState")
    service_error(
        crypto.encrypt,
        m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"x")),
        status=409,
        code="IncorrectState",
    )
    service_error(kms.create_key_version, key.id, status=409, code="IncorrectState")
    service_error(vault_client.cancel_vault_deletion, vault.id, status=409, code="IncorrectState")
