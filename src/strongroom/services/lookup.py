"""Loading resources for a call: existence, tenancy, authorization and endpoint checks together.

Every failing path says the same NotFound, so callers cannot probe for resources they
may not see.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from strongroom.domain.errors import NotFound
from strongroom.domain.key import Key, KeyVersion
from strongroom.domain.lifecycle import State
from strongroom.domain.vault import Vault
from strongroom.iam.target import Target
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "NOT_FOUND",
    "as_of",
    "key_as_of",
    "key_by_id",
    "key_for",
    "key_in_vault",
    "key_target",
    "require_compartment",
    "vault_for",
    "vault_target",
    "version_as_of",
    "version_for",
    "version_of",
    "visible_key",
]

NOT_FOUND = "The resource does not exist or you are not authorized to access it"


def vault_target(vault: Vault) -> Target:
    """The policy target of a vault."""
    return Target(vault.tenancy_id, vault.compartment_id, vault_id=vault.id)


def key_target(key: Key) -> Target:
    """The policy target of a key."""
    return Target(key.tenancy_id, key.compartment_id, vault_id=key.vault_id, key_id=key.id)


def require_compartment(deps: Deps, tx: Transaction, call: Call, compartment_id: str) -> None:
    """The compartment must be ACTIVE in the caller's tenancy (the tenancy is the root)."""
    if compartment_id == call.principal.tenancy_id:
        return
    compartment = tx.iam.get_compartment(compartment_id)
    if (
        compartment is None
        or compartment.tenancy_id != call.principal.tenancy_id
        or compartment.lifecycle_state != "ACTIVE"
    ):
        raise NotFound(NOT_FOUND)


def vault_for(deps: Deps, tx: Transaction, call: Call, vault_id: str, operation: str) -> Vault:
    """Load an authorized vault, with its state as of now."""
    vault = tx.vaults.get(vault_id)
    if vault is None or vault.tenancy_id != call.principal.tenancy_id:
        raise NotFound(NOT_FOUND)
    authorize(deps, call, operation, vault_target(vault))
    return as_of(vault, deps.clock.now())


def key_for(
    deps: Deps, tx: Transaction, call: Call, endpoint_vault_id: str, key_id: str, operation: str
) -> tuple[Vault, Key]:
    """Load an authorized key through its vault's endpoint, with effective states."""
    key = visible_key(deps, call, endpoint_vault_id, tx.keys.get(key_id), operation)
    return key_in_vault(deps, key, tx.vaults.get(key.vault_id))


def key_by_id(deps: Deps, tx: Transaction, call: Call, key_id: str, operation: str) -> Key:
    """:func:`key_for` for APIs that name a key without its vault (the key's own vault)."""
    found = tx.keys.get(key_id)
    key = visible_key(deps, call, found.vault_id if found else "", found, operation)
    return key_in_vault(deps, key, tx.vaults.get(key.vault_id))[1]


def visible_key(
    deps: Deps, call: Call, endpoint_vault_id: str, key: Key | None, operation: str
) -> Key:
    """:func:`key_for`'s endpoint and authorization checks on a loaded key row. A key of
    another tenancy is refused by :func:`authorize` unless its key policy opens it to the
    caller (see :mod:`strongroom.services.key_access`)."""
    if key is None or key.vault_id != endpoint_vault_id:
        raise NotFound(NOT_FOUND)
    authorize(deps, call, operation, key_target(key))
    return key


def key_in_vault(deps: Deps, key: Key, vault: Vault | None) -> tuple[Vault, Key]:
    """A visible key and its loaded vault row, both with their effective states as of now."""
    if vault is None:
        raise NotFound(NOT_FOUND)
    now = deps.clock.now()
    return as_of(vault, now), key_as_of(key, vault, now)


def version_for(deps: Deps, tx: Transaction, key: Key, version_id: str) -> KeyVersion:
    """A version of ``key``, with its effective state."""
    return version_of(deps, key, tx.keys.get_version(version_id))


def version_of(deps: Deps, key: Key, kv: KeyVersion | None) -> KeyVersion:
    """:func:`version_for`'s checks on a loaded version row (``key`` already effective)."""
    if kv is None or kv.key_id != key.id:
        raise NotFound(NOT_FOUND)
    return version_as_of(kv, key, deps.clock.now())


# The *_as_of functions return their argument itself when nothing changes (the common case):
# copying costs more than the rest of a cached key lookup. Callers own rows they loaded; rows
# from the key-use cache (services.key_use) are shared and are only read.


def as_of(vault: Vault, now: datetime) -> Vault:
    """The vault with scheduled deletion applied."""
    state = vault.state_at(now)
    if state is vault.lifecycle_state:
        return vault
    return replace(vault, lifecycle_state=state)


def key_as_of(key: Key, vault: Vault, now: datetime) -> Key:
    """The key with its own and its vault's scheduled deletion applied.

    As in OCI, scheduling a vault's deletion puts its keys in PENDING_DELETION with it.
    """
    state, when = key.state_at(now), key.time_of_deletion
    vault_state = vault.state_at(now)
    if vault_state is State.DELETED:
        state = State.DELETED
    elif vault_state is State.PENDING_DELETION and state is not State.DELETED:
        state, when = State.PENDING_DELETION, vault.time_of_deletion
    if state is key.lifecycle_state and when == key.time_of_deletion:
        return key
    return replace(key, lifecycle_state=state, time_of_deletion=when)


def version_as_of(kv: KeyVersion, key: Key, now: datetime) -> KeyVersion:
    """The version with its own and its key's deletion applied (``key`` already effective)."""
    state = kv.state_at(now)
    if key.lifecycle_state is State.DELETED:
        state = State.DELETED
    if state is kv.lifecycle_state:
        return kv
    return replace(kv, lifecycle_state=state)
