"""Deletion protection seen through the OCI API: the official SDK's ScheduleKeyDeletion of a
protected key is refused with 409 IncorrectState saying why, until protection is off; the OCI
API schedules a key's deletion whatever secrets it protects (OCI's behaviour)."""

from __future__ import annotations

from oci.key_management import KmsManagementClient
from oci.key_management import models as m

from strongroom.services.context import Call
from strongroom.services.identity.principals import operator_call
from strongroom.services.kms.key_associations import (
    ListKeyAssociationsRequest,
    list_key_associations,
)
from strongroom.services.kms.key_protection import (
    SetDeletionProtectionRequest,
    set_deletion_protection,
)
from tests.integration import secret_support
from tests.integration.support import Server, service_error


def _admin(server: Server) -> Call:
    return operator_call(server.deps, server.tenancy, str(server.config["user"]))


def _protect(server: Server, key: m.Key, enabled: bool, description: str | None = None) -> None:
    """Turn protection on or off as the administrator (the OCI API has no such operation)."""
    request = SetDeletionProtectionRequest(key.id, enabled, description)
    set_deletion_protection(server.deps, _admin(server), request)


def test_the_sdk_cannot_schedule_deletion_of_a_protected_key(
    server: Server, kms: KmsManagementClient, aes_key: m.Key
) -> None:
    _protect(server, aes_key, True, "root of the backup chain")

    error = service_error(
        kms.schedule_key_deletion, aes_key.id, m.ScheduleKeyDeletionDetails(), status=409
    )
    assert error.code == "IncorrectState"
    assert error.message == (
        f"Key {aes_key.id} has deletion protection on (root of the backup chain); turn it off first"
    )
    assert kms.get_key(aes_key.id).data.lifecycle_state == "ENABLED"

    _protect(server, aes_key, False)
    scheduled = kms.schedule_key_deletion(aes_key.id, m.ScheduleKeyDeletionDetails()).data
    assert scheduled.lifecycle_state == "PENDING_DELETION"


def test_the_sdk_schedules_deletion_of_a_key_that_protects_secrets(
    server: Server, vault: m.Vault, kms: KmsManagementClient, aes_key: m.Key
) -> None:
    vaults = secret_support.vaults_client(server.config, server.url)
    secret_support.create(vaults, vault, aes_key, b"v1")
    vaults.base_client.session.close()
    found = list_key_associations(
        server.deps, _admin(server), ListKeyAssociationsRequest(aes_key.id)
    )
    assert found.live_secrets == 1

    scheduled = kms.schedule_key_deletion(aes_key.id, m.ScheduleKeyDeletionDetails()).data
    assert scheduled.lifecycle_state == "PENDING_DELETION"
