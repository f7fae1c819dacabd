"""ChangeVaultCompartment and ChangeKeyCompartment: access follows the resource."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.key import Key
from strongroom.domain.vault import Vault
from strongroom.iam.target import Target
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.lookup import key_for, require_compartment, vault_for
from strongroom.services.ports import Deps

__all__ = [
    "ChangeKeyCompartmentRequest",
    "ChangeVaultCompartmentRequest",
    "change_key_compartment",
    "change_vault_compartment",
]


@dataclass(frozen=True, kw_only=True)
class ChangeVaultCompartmentRequest:
    """Input of ChangeVaultCompartment: the vault moves to ``compartment_id``."""

    vault_id: str
    compartment_id: str
    if_match: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChangeKeyCompartmentRequest:
    """Input of ChangeKeyCompartment: the key and its versions move to ``compartment_id``."""

    vault_id: str
    key_id: str
    compartment_id: str
    if_match: str | None = None


def _destination(call: Call, compartment_id: str, **ids: str) -> Target:
    return Target(call.principal.tenancy_id, compartment_id, **ids)


def change_vault_compartment(
    deps: Deps, call: Call, request: ChangeVaultCompartmentRequest
) -> Vault:
    """Move a vault; the caller needs VAULT_MOVE in both the source and the destination."""
    compartment_id = request.compartment_id
    with deps.db.transaction() as tx:
        vault = vault_for(deps, tx, call, request.vault_id, "ChangeVaultCompartment")
        check_etag(vault.id, vault.version, request.if_match)
        require_compartment(deps, tx, call, compartment_id)
        authorize(
            deps,
            call,
            "ChangeVaultCompartment",
            _destination(call, compartment_id, vault_id=vault.id),
        )
        vault.compartment_id = compartment_id
        tx.vaults.save(vault)
    return vault


def change_key_compartment(deps: Deps, call: Call, request: ChangeKeyCompartmentRequest) -> Key:
    """Move a key (and its versions); KEY_MOVE is needed in the source and the destination."""
    compartment_id = request.compartment_id
    with deps.db.transaction() as tx:
        _, key = key_for(deps, tx, call, request.vault_id, request.key_id, "ChangeKeyCompartment")
        check_etag(key.id, key.version, request.if_match)
        require_compartment(deps, tx, call, compartment_id)
        target = _destination(call, compartment_id, vault_id=key.vault_id, key_id=key.id)
        authorize(deps, call, "ChangeKeyCompartment", target)
        key.compartment_id = compartment_id
        tx.keys.save(key)
        tx.keys.move_versions(key.id, compartment_id)
    return key
