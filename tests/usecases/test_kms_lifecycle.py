"""Lifecycles of vaults, keys and key versions through the use cases: deletion windows of
7-30 days on the manual clock, what scheduling and cancelling do, and the current version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from strongroom.domain.errors import IncorrectState, InvalidParameter
from strongroom.domain.key import Key, KeyVersion
from strongroom.domain.lifecycle import State
from strongroom.domain.vault import Vault
from strongroom.services.context import Call
from strongroom.services.kms import key_versions, keys, vaults
from strongroom.services.ports import Deps
from tests.clock import ManualClock
from tests.usecases import kms_support as k

NewVault = Callable[..., Vault]
NewAesKey = Callable[..., tuple[Key, KeyVersion]]
WINDOW = "timeOfDeletion must be between 7 and 30 days from now"


def _schedule_key(deps: Deps, call: Call, key: Key, when: datetime | None = None) -> Key:
    request = keys.ScheduleKeyDeletionRequest(
        vault_id=key.vault_id, key_id=key.id, time_of_deletion=when
    )
    return keys.schedule_key_deletion(deps, call, request)


def _get_key(deps: Deps, call: Call, key: Key) -> Key:
    return keys.get_key(deps, call, keys.GetKeyRequest(vault_id=key.vault_id, key_id=key.id))


def _rotate(deps: Deps, call: Call, key: Key) -> KeyVersion:
    request = key_versions.CreateKeyVersionRequest(vault_id=key.vault_id, key_id=key.id)
    return key_versions.create_key_version(deps, call, request)


def _schedule_version(
    deps: Deps, call: Call, key: Key, version_id: str, when: datetime | None = None
) -> KeyVersion:
    request = key_versions.ScheduleKeyVersionDeletionRequest(
        vault_id=key.vault_id, key_id=key.id, key_version_id=version_id, time_of_deletion=when
    )
    return key_versions.schedule_key_version_deletion(deps, call, request)


def _get_version(deps: Deps, call: Call, key: Key, version_id: str) -> KeyVersion:
    request = key_versions.GetKeyVersionRequest(
        vault_id=key.vault_id, key_id=key.id, key_version_id=version_id
    )
    return key_versions.get_key_version(deps, call, request)


@pytest.mark.parametrize("days", [6, 31])
def test_a_key_deletion_outside_7_to_30_days_is_refused(
    deps: Deps,
    admin_call: Call,
    clock: ManualClock,
    new_vault: NewVault,
    new_aes_key: NewAesKey,
    days: int,
) -> None:
    key, _ = new_aes_key(new_vault())
    with pytest.raises(InvalidParameter, match=WINDOW):
        _schedule_key(deps, admin_call, key, clock.now() + timedelta(days=days))
    assert _get_key(deps, admin_call, key).lifecycle_state is State.ENABLED


def test_a_key_deletion_needs_a_time_zone(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    naive = (clock.now() + timedelta(days=10)).replace(tzinfo=None)
    with pytest.raises(InvalidParameter, match="must carry a time zone"):
        _schedule_key(deps, admin_call, key, naive)


@pytest.mark.parametrize("days", [7, 30])
def test_a_key_deleted_at_the_edges_of_the_window_is_deleted_when_its_time_comes(
    deps: Deps,
    admin_call: Call,
    clock: ManualClock,
    new_vault: NewVault,
    new_aes_key: NewAesKey,
    days: int,
) -> None:
    key, _ = new_aes_key(new_vault())
    when = clock.now() + timedelta(days=days)
    scheduled = _schedule_key(deps, admin_call, key, when)
    assert (scheduled.lifecycle_state, scheduled.time_of_deletion) == (
        State.PENDING_DELETION,
        when,
    )
    clock.advance(timedelta(days=days) - timedelta(seconds=1))
    assert _get_key(deps, admin_call, key).lifecycle_state is State.PENDING_DELETION
    clock.advance(timedelta(seconds=1))
    assert _get_key(deps, admin_call, key).lifecycle_state is State.DELETED
    with pytest.raises(IncorrectState, match="The key is DELETED"):
        k.encrypt(deps, admin_call, key, b"x")


def test_a_key_deletion_defaults_to_30_days_and_can_be_cancelled(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    keys.disable_key(deps, admin_call, keys.DisableKeyRequest(vault_id=key.vault_id, key_id=key.id))
    scheduled = _schedule_key(deps, admin_call, key)
    assert scheduled.time_of_deletion == clock.now() + timedelta(days=30)
    # A key pending deletion cannot be scheduled again, nor enabled.
    with pytest.raises(IncorrectState):
        _schedule_key(deps, admin_call, key)
    with pytest.raises(IncorrectState):
        keys.enable_key(
            deps, admin_call, keys.EnableKeyRequest(vault_id=key.vault_id, key_id=key.id)
        )
    cancel = keys.CancelKeyDeletionRequest(vault_id=key.vault_id, key_id=key.id)
    back = keys.cancel_key_deletion(deps, admin_call, cancel)
    # As in OCI, a cancelled key comes back ENABLED, whatever it was before.
    assert (back.lifecycle_state, back.time_of_deletion) == (State.ENABLED, None)
    assert k.encrypt(deps, admin_call, key, b"x").key_id == key.id


def test_enable_and_disable_are_idempotent(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    ids = {"vault_id": key.vault_id, "key_id": key.id}
    assert keys.enable_key(deps, admin_call, keys.EnableKeyRequest(**ids)).version == key.version
    disabled = keys.disable_key(deps, admin_call, keys.DisableKeyRequest(**ids))
    again = keys.disable_key(deps, admin_call, keys.DisableKeyRequest(**ids))
    assert disabled.lifecycle_state is again.lifecycle_state is State.DISABLED
    assert again.version == disabled.version


@pytest.mark.parametrize("days", [6, 31])
def test_a_vault_deletion_outside_7_to_30_days_is_refused(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, days: int
) -> None:
    vault = new_vault()
    request = vaults.ScheduleVaultDeletionRequest(
        vault_id=vault.id, time_of_deletion=clock.now() + timedelta(days=days)
    )
    with pytest.raises(InvalidParameter, match=WINDOW):
        vaults.schedule_vault_deletion(deps, admin_call, request)


def test_a_vault_pending_deletion_takes_its_keys_with_it_until_cancelled(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    vault = new_vault()
    key, _ = new_aes_key(vault)
    when = clock.now() + timedelta(days=7)
    schedule = vaults.ScheduleVaultDeletionRequest(vault_id=vault.id, time_of_deletion=when)
    assert vaults.schedule_vault_deletion(deps, admin_call, schedule).time_of_deletion == when
    shown = _get_key(deps, admin_call, key)
    assert (shown.lifecycle_state, shown.time_of_deletion) == (State.PENDING_DELETION, when)
    # A key of a vault pending deletion cannot be rotated.
    with pytest.raises(IncorrectState):
        _rotate(deps, admin_call, key)

    cancel = vaults.CancelVaultDeletionRequest(vault_id=vault.id)
    assert vaults.cancel_vault_deletion(deps, admin_call, cancel).lifecycle_state is State.ACTIVE
    assert _get_key(deps, admin_call, key).lifecycle_state is State.ENABLED

    vaults.schedule_vault_deletion(deps, admin_call, schedule)
    clock.advance(timedelta(days=7))
    got = vaults.get_vault(deps, admin_call, vaults.GetVaultRequest(vault_id=vault.id))
    assert got.lifecycle_state is State.DELETED
    assert _get_key(deps, admin_call, key).lifecycle_state is State.DELETED


def test_the_current_version_cannot_be_deleted(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, first = new_aes_key(new_vault())
    with pytest.raises(IncorrectState, match="The current key version cannot be deleted"):
        _schedule_version(deps, admin_call, key, first.id)
    second = _rotate(deps, admin_call, key)
    with pytest.raises(IncorrectState, match="The current key version cannot be deleted"):
        _schedule_version(deps, admin_call, key, second.id)
    assert _schedule_version(deps, admin_call, key, first.id).lifecycle_state is (
        State.PENDING_DELETION
    )


def test_a_version_pending_deletion_decrypts_nothing_until_cancelled(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, first = new_aes_key(new_vault())
    sealed = k.encrypt(deps, admin_call, key, b"under the first version")
    _rotate(deps, admin_call, key)
    with pytest.raises(InvalidParameter, match=WINDOW):
        _schedule_version(deps, admin_call, key, first.id, clock.now() + timedelta(days=6))
    when = clock.now() + timedelta(days=8)
    _schedule_version(deps, admin_call, key, first.id, when)
    with pytest.raises(IncorrectState, match="The key version is PENDING_DELETION"):
        k.decrypt(deps, admin_call, key, sealed.ciphertext)
    with pytest.raises(IncorrectState, match="The key version is PENDING_DELETION"):
        k.encrypt(deps, admin_call, key, b"x", key_version_id=first.id)

    cancel = key_versions.CancelKeyVersionDeletionRequest(
        vault_id=key.vault_id, key_id=key.id, key_version_id=first.id
    )
    back = key_versions.cancel_key_version_deletion(deps, admin_call, cancel)
    assert (back.lifecycle_state, back.time_of_deletion) == (State.ENABLED, None)
    assert k.decrypt(deps, admin_call, key, sealed.ciphertext).key_version_id == first.id

    _schedule_version(deps, admin_call, key, first.id, when)
    clock.advance(timedelta(days=8))
    assert _get_version(deps, admin_call, key, first.id).lifecycle_state is State.DELETED
    with pytest.raises(IncorrectState, match="The key version is DELETED"):
        k.decrypt(deps, admin_call, key, sealed.ciphertext)
