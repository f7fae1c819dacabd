"""Vaults as the API shows them: EXTERNAL vaults with the latest health of their EKM."""

from __future__ import annotations

from strongroom.domain.lifecycle import State
from strongroom.domain.paging import Page, PageRequest
from strongroom.domain.vault import Vault, VaultType
from strongroom.services.context import Call
from strongroom.services.external import health as ekm_health
from strongroom.services.kms import vaults
from strongroom.services.kms.vaults import VaultView
from strongroom.services.ports import Deps


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


def create_vault(deps: Deps, call: Call, new: vaults.NewVault) -> VaultView:
    """CreateVault; an EXTERNAL vault's EKM is checked at once, so the answer shows its health."""
    return with_health(deps, vaults.create_vault(deps, call, new), refresh=True)


def get_vault(deps: Deps, call: Call, vault_id: str) -> VaultView:
    """GetVault; a stale EKM health is checked again first (within the EKM timeout)."""
    return with_health(deps, vaults.get_vault(deps, call, vault_id), refresh=True)


def list_vaults(deps: Deps, call: Call, compartment_id: str, page: PageRequest) -> Page[VaultView]:
    """ListVaults, with the health known now (never waits for an EKM)."""
    found = vaults.list_vaults(deps, call, compartment_id, page)
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
