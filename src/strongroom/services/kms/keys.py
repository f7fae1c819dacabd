"""Key use cases: create, get, list, update, enable, disable, schedule and cancel deletion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from strongroom.crypto.providers.base import KeyMaterialProvider
from strongroom.domain import tags
from strongroom.domain.errors import InvalidParameter, NotFound
from strongroom.domain.ids import new_ocid
from strongroom.domain.key import (
    KEY_DELETION_DAYS,
    Key,
    KeyShape,
    KeyVersion,
    Origin,
    ProtectionMode,
)
from strongroom.domain.lifecycle import State, deletion_time, require_state
from strongroom.domain.paging import Page, PageRequest, cut
from strongroom.domain.vault import Vault
from strongroom.iam.target import Target
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.external.keys import check_placement, new_external_version
from strongroom.services.lookup import (
    NOT_FOUND,
    as_of,
    key_as_of,
    key_for,
    require_compartment,
    vault_target,
)
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction


@dataclass(frozen=True)
class NewKey:
    """Validated input of CreateKey."""

    compartment_id: str
    display_name: str
    shape: KeyShape
    protection_mode: ProtectionMode
    freeform_tags: tags.FreeformTags
    defined_tags: tags.DefinedTags
    external_key_id: str | None = None


@dataclass(frozen=True)
class KeyChanges:
    """Validated input of UpdateKey; None leaves a field as it is."""

    display_name: str | None = None
    freeform_tags: tags.FreeformTags | None = None
    defined_tags: tags.DefinedTags | None = None


def provider_for(deps: Deps, mode: ProtectionMode) -> KeyMaterialProvider:
    """The provider holding material for ``mode``; a clear error when none is configured."""
    provider = deps.providers.get(mode)
    if provider is None:
        if mode is ProtectionMode.HSM:
            raise InvalidParameter(
                "protectionMode HSM needs an HSM back end, and this server has none configured"
            )
        raise InvalidParameter(f"protectionMode {mode.value} is not available on this vault")
    return provider


def new_version(deps: Deps, key: Key, now: datetime) -> KeyVersion:
    """Generate material for a fresh ENABLED version of ``key`` (outside any transaction)."""
    version_id = new_ocid("keyversion", deps.region, deps.random_bytes)
    made = provider_for(deps, key.protection_mode).create(key.shape, version_id)
    return KeyVersion(
        id=version_id,
        key_id=key.id,
        tenancy_id=key.tenancy_id,
        compartment_id=key.compartment_id,
        vault_id=key.vault_id,
        lifecycle_state=State.ENABLED,
        origin=Origin.INTERNAL,
        time_created=now,
        material=made.stored,
        public_key_pem=made.public_key_pem,
    )


def _vault_in_tenancy(deps: Deps, tx: Transaction, call: Call, vault_id: str) -> Vault:
    """The vault behind a management endpoint, before any authorization of the caller.

    What the caller may do with it is checked by the operation itself (CreateKey, ListKeys).
    """
    vault = tx.vaults.get(vault_id)
    if vault is None or vault.tenancy_id != call.principal.tenancy_id:
        raise NotFound(NOT_FOUND)
    return as_of(vault, deps.clock.now())


def create_key(deps: Deps, call: Call, vault_id: str, new: NewKey) -> tuple[Key, KeyVersion]:
    """Create an ENABLED key with its first version in an ACTIVE vault.

    An EXTERNAL key's external key must exist and be enabled in the vault's EKM.
    """
    if new.protection_mode is not ProtectionMode.EXTERNAL:
        provider_for(deps, new.protection_mode)
    with deps.db.transaction() as tx:
        require_compartment(deps, tx, call, new.compartment_id)
        vault = _vault_in_tenancy(deps, tx, call, vault_id)
        target = Target(vault.tenancy_id, new.compartment_id, vault_id=vault.id)
        authorize(deps, call, "CreateKey", target, ("KEY_CREATE",))
        authorize(deps, call, "CreateKey", vault_target(vault), ("VAULT_CREATE_KEY",))
        require_state(vault.lifecycle_state, (State.ACTIVE,), "vault")
    check_placement(vault, new.protection_mode, new.shape, new.external_key_id)
    now = deps.clock.now()
    key = Key(
        id=new_ocid("key", deps.region, deps.random_bytes),
        tenancy_id=vault.tenancy_id,
        compartment_id=new.compartment_id,
        vault_id=vault.id,
        display_name=new.display_name,
        shape=new.shape,
        protection_mode=new.protection_mode,
        lifecycle_state=State.ENABLED,
        current_version_id="",
        time_created=now,
        freeform_tags=new.freeform_tags,
        defined_tags=new.defined_tags,
        external_key_id=new.external_key_id,
    )
    if key.is_external:
        version = new_external_version(deps, vault, key, now)
    else:
        version = new_version(deps, key, now)
    key.current_version_id = version.id
    key.external_key_version_id = version.external_key_version_id
    with deps.db.transaction() as tx:
        live = _vault_in_tenancy(deps, tx, call, vault_id)
        require_state(live.lifecycle_state, (State.ACTIVE,), "vault")
        tx.keys.add(key)
        tx.keys.add_version(version)
    return key, version


def get_key(deps: Deps, call: Call, vault_id: str, key_id: str) -> Key:
    """One key, with its state as of now."""
    with deps.db.transaction(read_only=True) as tx:
        return key_for(deps, tx, call, vault_id, key_id, "GetKey")[1]


def list_keys(
    deps: Deps,
    call: Call,
    vault_id: str,
    compartment_id: str,
    page: PageRequest,
    filters: dict[str, Any],
) -> Page[Key]:
    """Keys of a vault in a compartment, optionally filtered by shape and protection mode."""
    with deps.db.transaction(read_only=True) as tx:
        require_compartment(deps, tx, call, compartment_id)
        vault = _vault_in_tenancy(deps, tx, call, vault_id)
        target = Target(vault.tenancy_id, compartment_id, vault_id=vault.id)
        authorize(deps, call, "ListKeys", target)
        found = tx.keys.list(vault_id, compartment_id, page, filters)
    now = deps.clock.now()
    return cut([key_as_of(k, vault, now) for k in found], page)


def update_key(
    deps: Deps, call: Call, vault_id: str, key_id: str, changes: KeyChanges, if_match: str | None
) -> Key:
    """Change display name or tags of a key that is ENABLED or DISABLED."""
    with deps.db.transaction() as tx:
        _, key = key_for(deps, tx, call, vault_id, key_id, "UpdateKey")
        check_etag(key.id, key.version, if_match)
        require_state(key.lifecycle_state, (State.ENABLED, State.DISABLED), "key")
        if changes.display_name is not None:
            key.display_name = changes.display_name
        if changes.freeform_tags is not None:
            key.freeform_tags = changes.freeform_tags
        if changes.defined_tags is not None:
            key.defined_tags = changes.defined_tags
        tx.keys.save(key)
    return key


def set_key_enabled(
    deps: Deps, call: Call, vault_id: str, key_id: str, enabled: bool, if_match: str | None
) -> Key:
    """EnableKey / DisableKey. Repeating the current state is accepted (idempotent)."""
    operation = "EnableKey" if enabled else "DisableKey"
    with deps.db.transaction() as tx:
        vault, key = key_for(deps, tx, call, vault_id, key_id, operation)
        check_etag(key.id, key.version, if_match)
        require_state(vault.lifecycle_state, (State.ACTIVE,), "vault")
        require_state(key.lifecycle_state, (State.ENABLED, State.DISABLED), "key")
        target = State.ENABLED if enabled else State.DISABLED
        if key.lifecycle_state is not target:
            key.lifecycle_state = target
            tx.keys.save(key)
    return key


def schedule_key_deletion(
    deps: Deps,
    call: Call,
    vault_id: str,
    key_id: str,
    requested: datetime | None,
    if_match: str | None,
) -> Key:
    """Move an ENABLED or DISABLED key to PENDING_DELETION for 7-30 days."""
    with deps.db.transaction() as tx:
        _, key = key_for(deps, tx, call, vault_id, key_id, "ScheduleKeyDeletion")
        check_etag(key.id, key.version, if_match)
        require_state(key.lifecycle_state, (State.ENABLED, State.DISABLED), "key")
        low, high = KEY_DELETION_DAYS
        key.time_of_deletion = deletion_time(deps.clock.now(), requested, low, high)
        key.lifecycle_state = State.PENDING_DELETION
        tx.keys.save(key)
    return key


def cancel_key_deletion(
    deps: Deps, call: Call, vault_id: str, key_id: str, if_match: str | None
) -> Key:
    """Bring a PENDING_DELETION key back; it returns ENABLED, as in OCI."""
    with deps.db.transaction() as tx:
        vault, key = key_for(deps, tx, call, vault_id, key_id, "CancelKeyDeletion")
        check_etag(key.id, key.version, if_match)
        require_state(vault.lifecycle_state, (State.ACTIVE,), "vault")
        require_state(key.lifecycle_state, (State.PENDING_DELETION,), "key")
        key.lifecycle_state = State.ENABLED
        key.time_of_deletion = None
        tx.keys.save(key)
    return key
