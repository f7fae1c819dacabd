"""What depends on a key, through the use cases: the secrets sealed under it (state, versions
not deleted), the other keys bound to the same external key, and ScheduleKeyDeletion refused
while live secrets need the key unless forced (the OCI API never asks for the refusal)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from strongroom.domain.ekm import ExternalKeyManager
from strongroom.domain.errors import Conflict, KeyInUse, NotFound
from strongroom.domain.ids import new_ocid
from strongroom.domain.key import Key, KeyVersion, ProtectionMode, make_shape
from strongroom.domain.lifecycle import State
from strongroom.domain.secret import Secret
from strongroom.domain.vault import Vault, VaultType
from strongroom.services.context import Call
from strongroom.services.kms import keys
from strongroom.services.kms.key_associations import (
    KeyAssociations,
    ListKeyAssociationsRequest,
    list_key_associations,
)
from strongroom.services.ports import Deps
from strongroom.services.secrets import deletion, secrets
from tests.clock import ManualClock
from tests.usecases import secret_support
from tests.usecases.identity_support import call_of, grant, new_group, new_user

NewVault = Callable[..., Vault]
NewAesKey = Callable[..., tuple[Key, KeyVersion]]


def _secret(deps: Deps, call: Call, key: Key) -> Secret:
    request = secrets.CreateSecretRequest(
        compartment_id=key.compartment_id,
        vault_id=key.vault_id,
        key_id=key.id,
        name=f"secret-{uuid.uuid4().hex[:8]}",
        content=b"v1",
    )
    return secrets.create_secret(deps, call, request)


def _associations(deps: Deps, call: Call, key: Key) -> KeyAssociations:
    return list_key_associations(deps, call, ListKeyAssociationsRequest(key.id))


def _schedule(deps: Deps, call: Call, key: Key, refuse: bool) -> Key:
    request = keys.ScheduleKeyDeletionRequest(
        vault_id=key.vault_id, key_id=key.id, refuse_if_protecting_secrets=refuse
    )
    return keys.schedule_key_deletion(deps, call, request)


def _delete_secret(deps: Deps, call: Call, secret: Secret, clock: ManualClock) -> None:
    when = clock.now() + timedelta(days=1)
    deletion.schedule_secret_deletion(
        deps, call, deletion.ScheduleSecretDeletionRequest(secret.id, when)
    )


def test_the_secrets_sealed_under_a_key_are_listed_with_their_live_versions(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    kept, leaving = _secret(deps, admin_call, key), _secret(deps, admin_call, key)
    secret_support.add_content(deps, admin_call, kept.id, b"v2")
    secret_support.add_content(deps, admin_call, kept.id, b"v3")
    request = deletion.ScheduleSecretVersionDeletionRequest(
        kept.id, 1, clock.now() + timedelta(days=1)
    )
    deletion.schedule_secret_version_deletion(deps, admin_call, request)
    _delete_secret(deps, admin_call, leaving, clock)
    other_key, _ = new_aes_key(new_vault())
    _secret(deps, admin_call, other_key)

    found = _associations(deps, admin_call, key)
    assert found.key.id == key.id
    listed = {s.id: (s.name, s.lifecycle_state, s.versions) for s in found.secrets}
    assert listed == {
        kept.id: (kept.name, State.ACTIVE, 3),  # a version pending deletion still counts
        leaving.id: (leaving.name, State.PENDING_DELETION, 1),
    }
    assert found.live_secrets == 1
    assert found.keys_sharing_external_key == ()

    clock.advance(timedelta(days=2))
    found = _associations(deps, admin_call, key)
    assert [(s.id, s.versions) for s in found.secrets] == [(kept.id, 2)]


def test_deletion_of_a_key_live_secrets_need_is_refused_unless_forced(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    first, second = _secret(deps, admin_call, key), _secret(deps, admin_call, key)

    with pytest.raises(KeyInUse) as refused:
        _schedule(deps, admin_call, key, refuse=True)
    assert isinstance(refused.value, Conflict)  # OCI: 409 Conflict
    assert refused.value.secrets == 2
    assert f"2 live secrets depend on key {key.id}" in refused.value.message
    assert "with force" in refused.value.message
    assert _associations(deps, admin_call, key).key.lifecycle_state is State.ENABLED

    _delete_secret(deps, admin_call, first, clock)
    with pytest.raises(KeyInUse, match="1 live secret depends on key"):
        _schedule(deps, admin_call, key, refuse=True)
    _delete_secret(deps, admin_call, second, clock)
    assert _schedule(deps, admin_call, key, refuse=True).lifecycle_state is State.PENDING_DELETION


def test_forced_and_oci_deletions_ignore_the_secrets(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    vault = new_vault()
    forced, _ = new_aes_key(vault)
    _secret(deps, admin_call, forced)
    assert (
        _schedule(deps, admin_call, forced, refuse=False).lifecycle_state is State.PENDING_DELETION
    )
    oci, _ = new_aes_key(vault)
    _secret(deps, admin_call, oci)
    request = keys.ScheduleKeyDeletionRequest(vault_id=vault.id, key_id=oci.id)  # as the OCI API
    assert (
        keys.schedule_key_deletion(deps, admin_call, request).lifecycle_state
        is State.PENDING_DELETION
    )


def _external_vault(deps: Deps, call: Call, endpoint_url: str) -> Vault:
    tenancy = call.principal.tenancy_id
    vault = Vault(
        id=new_ocid("vault", deps.region, os.urandom),
        tenancy_id=tenancy,
        compartment_id=tenancy,
        display_name="xki",
        vault_type=VaultType.EXTERNAL,
        lifecycle_state=State.ACTIVE,
        time_created=deps.clock.now(),
        external=ExternalKeyManager(endpoint_url, "client", b"sealed"),
    )
    with deps.db.transaction() as tx:
        tx.vaults.add(vault)
    return vault


def _external_key(deps: Deps, vault: Vault, external_key_id: str, **changes: object) -> Key:
    """An EXTERNAL key row as CreateKey stores it (no EKM needed to read associations)."""
    key = Key(
        id=new_ocid("key", deps.region, os.urandom),
        tenancy_id=vault.tenancy_id,
        compartment_id=vault.compartment_id,
        vault_id=vault.id,
        display_name=f"ext-{uuid.uuid4().hex[:6]}",
        shape=make_shape("AES", 32, None),
        protection_mode=ProtectionMode.EXTERNAL,
        lifecycle_state=State.ENABLED,
        current_version_id=new_ocid("keyversion", deps.region, os.urandom),
        time_created=deps.clock.now(),
        external_key_id=external_key_id,
    )
    for name, value in changes.items():
        setattr(key, name, value)
    with deps.db.transaction() as tx:
        tx.keys.add(key)
    return key


def test_keys_bound_to_the_same_external_key_are_listed(deps: Deps, admin_call: Call) -> None:
    ekm = f"https://ekm-{uuid.uuid4().hex[:6]}.example/v1"
    external_id = f"ext-{uuid.uuid4().hex}"
    xki, again = _external_vault(deps, admin_call, ekm), _external_vault(deps, admin_call, ekm)
    elsewhere = _external_vault(deps, admin_call, f"{ekm}/other")
    key = _external_key(deps, xki, external_id)
    twin = _external_key(deps, again, external_id, lifecycle_state=State.DISABLED)
    _external_key(deps, xki, f"{external_id}-2")  # another external key
    _external_key(deps, elsewhere, external_id)  # the same id in another EKM
    _external_key(deps, xki, external_id, lifecycle_state=State.DELETED)

    found = _associations(deps, admin_call, key)
    assert [(k.id, k.vault_id, k.lifecycle_state) for k in found.keys_sharing_external_key] == [
        (twin.id, again.id, State.DISABLED)
    ]
    assert found.secrets == ()
    assert [k.id for k in _associations(deps, admin_call, twin).keys_sharing_external_key] == [
        key.id
    ]


def test_associations_need_read_on_the_key(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    _secret(deps, admin_call, key)
    inspectors, readers = new_user(deps, admin_call), new_user(deps, admin_call)
    inspect_group = new_group(deps, admin_call, inspectors).name
    read_group = new_group(deps, admin_call, readers).name
    grant(deps, admin_call, f"Allow group {inspect_group} to inspect keys in tenancy")
    grant(deps, admin_call, f"Allow group {read_group} to read keys in tenancy")

    with pytest.raises(NotFound):
        _associations(deps, call_of(deps, inspectors), key)
    assert len(_associations(deps, call_of(deps, readers), key).secrets) == 1
    with pytest.raises(NotFound):
        list_key_associations(deps, admin_call, ListKeyAssociationsRequest(key.id + "x"))
