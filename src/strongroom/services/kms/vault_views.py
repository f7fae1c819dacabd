"""Vaults as the API shows them: EXTERNAL vaults with the latest health of their EKM.

Each vault operation of the API is here, returning :class:`VaultView`; the rules are those
of :mod:`.vaults` and :mod:`.moves`, which return the bare vault.
"""

from __future__ import annotations

from strongroom.domain.lifecycle import State
from strongroom.domain.paging import Page
from strongroom.domain.vault import Vault, VaultType
from strongroom.services.context import Call
from strongroom.services.external import health as ekm_health
from strongroom.services.kms import moves, vaults
from strongroom.services.kms.moves import ChangeVaultCompartmentRequest
from strongroom.services.kms.vaults import (
    CancelVaultDeletionRequest,
    CreateVaultRequest,
    GetVaultRequest,
    ListVaultsRequest,
    ScheduleVaultDeletionRequest,
    UpdateVaultRequest,
    VaultView,
)
from strongroom.services.ports import Deps

# The request types are those of .vaults and .moves, re-exported so this module is the whole
# surface of the vault operations.
__all__ = [
    "CancelVaultDeletionRequest",
    "ChangeVaultCompartmentRequest",
    "CreateVaultRequest",
    "GetVaultRequest",
    "ListVaultsRequest",
    "ScheduleVaultDeletionRequest",
    "UpdateVaultRequest",
    "VaultView",
    "cancel_vault_deletion",
    "change_vault_compartment",
    "create_vault",
    "get_vault",
    "list_vaults",
    "schedule_vault_deletion",
    "update_vault",
    "with_health",
]


def with_health(deps: Deps, vault: Vault, *, refresh: bool = False) -> VaultView:
    """``vault`` and, when EXTERNAL, its EKM's latest health (checked now when ``refresh`` and
    the last check is older than the polling interval)."""
    if vault.vault_type is not VaultType.EXTERNAL:
        return VaultView(vault)
    with deps.db.transaction(read_only=True) as tx:
        health = ekm_health.known(deps, tx, vault.id)
    usable = vault.state_at(deps.clock.now()) is State.ACTIVE
    if refresh and usable and ekm_health.is_stale(deps, health, deps.clock.now()):
        health = ekm_health.check_blocking(deps, vault)
    return VaultView(vault, health)


def create_vault(deps: Deps, call: Call, request: CreateVaultRequest) -> VaultView:
    """CreateVault; an EXTERNAL vault's EKM is checked at once, so the answer shows its health."""
    return with_health(deps, vaults.create_vault(deps, call, request), refresh=True)


def get_vault(deps: Deps, call: Call, request: GetVaultRequest) -> VaultView:
    """GetVault; a stale EKM health is checked again first (within the EKM timeout)."""
    return with_health(deps, vaults.get_vault(deps, call, request), refresh=True)


def list_vaults(deps: Deps, call: Call, request: ListVaultsRequest) -> Page[VaultView]:
    """ListVaults, with the health known now (never waits for an EKM)."""
    found = vaults.list_vaults(deps, call, request)
    if not any(v.vault_type is VaultType.EXTERNAL for v in found.items):
        return Page([VaultView(v) for v in found.items], found.next_offset)
    with deps.db.transaction(read_only=True) as tx:
        views = [
            VaultView(v, ekm_health.known(deps, tx, v.id))
            if v.vault_type is VaultType.EXTERNAL
            else VaultView(v)
            for v in found.items
        ]
    return Page(views, found.next_offset)


def update_vault(deps: Deps, call: Call, request: UpdateVaultRequest) -> VaultView:
    """UpdateVault, with the health known now."""
    return with_health(deps, vaults.update_vault(deps, call, request))


def schedule_vault_deletion(
    deps: Deps, call: Call, request: ScheduleVaultDeletionRequest
) -> VaultView:
    """ScheduleVaultDeletion, with the health known now."""
    return with_health(deps, vaults.schedule_vault_deletion(deps, call, request))


def cancel_vault_deletion(deps: Deps, call: Call, request: CancelVaultDeletionRequest) -> VaultView:
    """CancelVaultDeletion, with the health known now."""
    return with_health(deps, vaults.cancel_vault_deletion(deps, call, request))


def change_vault_compartment(
    deps: Deps, call: Call, request: ChangeVaultCompartmentRequest
) -> VaultView:
    """ChangeVaultCompartment, with the health known now."""
    return with_health(deps, moves.change_vault_compartment(deps, call, request))
