"""The ``deps`` fixture builds working services on each backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from strongroom.domain.key import Key, KeyVersion
from strongroom.domain.lifecycle import State
from strongroom.domain.paging import PageRequest
from strongroom.domain.vault import Vault
from strongroom.services.context import Call
from strongroom.services.identity.bootstrap import AdminIdentity
from strongroom.services.kms import keys, vaults
from strongroom.services.ports import Deps
from tests.clock import ManualClock


def test_admin_is_in_administrators(admin_call: Call, admin: AdminIdentity) -> None:
    assert admin_call.principal.tenancy_id == admin.tenancy_id
    assert admin_call.principal.user_id == admin.user_id
    assert admin_call.principal.group_ids == {admin.group_id}
    assert "Administrators" in admin_call.principal.group_names


def test_admin_lists_the_vaults_of_the_root_compartment(
    deps: Deps, admin_call: Call, new_vault: Callable[..., Vault]
) -> None:
    vault = new_vault(name="listed")
    request = vaults.ListVaultsRequest(
        compartment_id=admin_call.principal.tenancy_id, page=PageRequest()
    )
    page = vaults.list_vaults(deps, admin_call, request)
    assert vault.id in [v.id for v in page.items]
    assert vault.lifecycle_state is State.ACTIVE


def test_new_aes_key_is_enabled(
    deps: Deps,
    admin_call: Call,
    new_vault: Callable[..., Vault],
    new_aes_key: Callable[..., tuple[Key, KeyVersion]],
) -> None:
    vault = new_vault()
    key, version = new_aes_key(vault)
    assert key.current_version_id == version.id
    request = keys.GetKeyRequest(vault_id=vault.id, key_id=key.id)
    assert keys.get_key(deps, admin_call, request).lifecycle_state is State.ENABLED


def test_clock_is_the_manual_clock_in_deps(
    deps: Deps, clock: ManualClock, admin_call: Call, new_vault: Callable[..., Vault]
) -> None:
    assert deps.clock is clock
    later = clock.advance(timedelta(days=3))
    assert new_vault().time_created == later
