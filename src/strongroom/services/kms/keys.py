"""Key use cases: create, get, list, update, enable, disable, schedule and cancel deletion."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from strongroom.crypto.providers.base import KeyMaterialProvider
from strongroom.domain import tags
from strongroom.domain.deletion_protection import require_unprotected
from strongroom.domain.errors import InvalidParameter, NotFound
from strongroom.domain.ids import new_ocid
from strongroom.domain.key import (
    KEY_DELETION_DAYS,
    Algorithm,
    Curve,
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
from strongroom.services.kms.key_associations import refuse_if_protecting_secrets
from strongroom.services.kms.key_policies import checked_policy, new_key_policy
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

__all__ = [
    "CancelKeyDeletionRequest",
    "CreateKeyRequest",
    "CreatedKey",
    "DisableKeyRequest",
    "EnableKeyRequest",
    "GetKeyRequest",
    "ListKeysRequest",
    "ScheduleKeyDeletionRequest",
    "UpdateKeyRequest",
    "cancel_key_deletion",
    "create_key",
    "disable_key",
    "enable_key",
    "get_key",
    "list_keys",
    "new_version",
    "provider_for",
    "schedule_key_deletion",
    "update_key",
]


@dataclass(frozen=True, kw_only=True)
class CreateKeyRequest:
    """Input of CreateKey: an EXTERNAL key names its key in the vault's EKM; ``key_policy``
    is the new key's policy document (None: the default policy; see services.kms.key_policies)."""

    vault_id: str
    compartment_id: str | None  # None: the vault's compartment
    display_name: str
    key_shape: KeyShape
    protection_mode: ProtectionMode
    external_key_id: str | None = None
    freeform_tags: tags.FreeformTags = field(default_factory=dict)
    defined_tags: tags.DefinedTags = field(default_factory=dict)
    key_policy: str | None = None


@dataclass(frozen=True)
class CreatedKey:
    """Result of CreateKey: the key and its first version."""

    key: Key
    version: KeyVersion


@dataclass(frozen=True, kw_only=True)
class GetKeyRequest:
    """Input of GetKey."""

    vault_id: str
    key_id: str


@dataclass(frozen=True, kw_only=True)
class ListKeysRequest:
    """Input of ListKeys: a vault's keys in a compartment, optionally filtered by shape and mode."""

    vault_id: str
    compartment_id: str
    protection_mode: ProtectionMode | None = None
    algorithm: Algorithm | None = None
    curve_id: Curve | None = None
    length: int | None = None
    page: PageRequest = field(default_factory=PageRequest)

    def filters(self) -> dict[str, Any]:
        """The filters given, as the key repository takes them."""
        found: dict[str, Any] = {}
        if self.protection_mode is not None:
            found["protection_mode"] = self.protection_mode.value
        if self.algorithm is not None:
            found["algorithm"] = self.algorithm.value
        if self.curve_id is not None:
            found["curve_id"] = self.curve_id.value
        if self.length is not None:
            found["length"] = self.length
        return found


@dataclass(frozen=True, kw_only=True)
class UpdateKeyRequest:
    """Input of UpdateKey; a field left None stays as it is."""

    vault_id: str
    key_id: str
    display_name: str | None = None
    freeform_tags: tags.FreeformTags | None = None
    defined_tags: tags.DefinedTags | None = None
    if_match: str | None = None


@dataclass(frozen=True, kw_only=True)
class EnableKeyRequest:
    """Input of EnableKey."""

    vault_id: str
    key_id: str
    if_match: str | None = None


@dataclass(frozen=True, kw_only=True)
class DisableKeyRequest:
    """Input of DisableKey."""

    vault_id: str
    key_id: str
    if_match: str | None = None


@dataclass(frozen=True, kw_only=True)
class ScheduleKeyDeletionRequest:
    """Input of ScheduleKeyDeletion; no ``time_of_deletion`` means in 30 days.

    ``refuse_if_protecting_secrets``: refuse (KeyInUse, naming how many) while live secrets
    are sealed under the key. The Alibaba API and the CLI ask for it unless their caller
    forces the deletion; the OCI API never does (OCI's behaviour).
    """

    vault_id: str
    key_id: str
    time_of_deletion: datetime | None = None
    if_match: str | None = None
    # The longest window in days (the Alibaba API allows up to 366; OCI's is 30).
    longest_days: int | None = None
    refuse_if_protecting_secrets: bool = False


@dataclass(frozen=True, kw_only=True)
class CancelKeyDeletionRequest:
    """Input of CancelKeyDeletion."""

    vault_id: str
    key_id: str
    if_match: str | None = None


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


def create_key(deps: Deps, call: Call, request: CreateKeyRequest) -> CreatedKey:
    """Create an ENABLED key with its first version in an ACTIVE vault.

    An EXTERNAL key's external key must exist and be enabled in the vault's EKM. A key
    policy given is checked before anything is made, and stored with the key.
    """
    vault_id = request.vault_id
    if request.protection_mode is not ProtectionMode.EXTERNAL:
        provider_for(deps, request.protection_mode)
    policy = None if request.key_policy is None else checked_policy(request.key_policy)
    with deps.db.transaction() as tx:
        vault = _vault_in_tenancy(deps, tx, call, vault_id)
        compartment_id = request.compartment_id or vault.compartment_id
        require_compartment(deps, tx, call, compartment_id)
        target = Target(vault.tenancy_id, compartment_id, vault_id=vault.id)
        authorize(deps, call, "CreateKey", target, ("KEY_CREATE",))
        authorize(deps, call, "CreateKey", vault_target(vault), ("VAULT_CREATE_KEY",))
        require_state(vault.lifecycle_state, (State.ACTIVE,), "vault")
    check_placement(vault, request.protection_mode, request.key_shape, request.external_key_id)
    now = deps.clock.now()
    key = Key(
        id=new_ocid("key", deps.region, deps.random_bytes),
        tenancy_id=vault.tenancy_id,
        compartment_id=compartment_id,
        vault_id=vault.id,
        display_name=request.display_name,
        shape=request.key_shape,
        protection_mode=request.protection_mode,
        lifecycle_state=State.ENABLED,
        current_version_id="",
        time_created=now,
        freeform_tags=request.freeform_tags,
        defined_tags=request.defined_tags,
        external_key_id=request.external_key_id,
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
        if request.key_policy is not None and policy is not None:
            new_key_policy(deps, tx, call, key, request.key_policy, policy)
    return CreatedKey(key, version)


def get_key(deps: Deps, call: Call, request: GetKeyRequest) -> Key:
    """One key, with its state as of now."""
    with deps.db.transaction(read_only=True) as tx:
        return key_for(deps, tx, call, request.vault_id, request.key_id, "GetKey")[1]


def list_keys(deps: Deps, call: Call, request: ListKeysRequest) -> Page[Key]:
    """Keys of a vault in a compartment, optionally filtered by shape and protection mode."""
    vault_id, compartment_id, page = request.vault_id, request.compartment_id, request.page
    with deps.db.transaction(read_only=True) as tx:
        require_compartment(deps, tx, call, compartment_id)
        vault = _vault_in_tenancy(deps, tx, call, vault_id)
        target = Target(vault.tenancy_id, compartment_id, vault_id=vault.id)
        authorize(deps, call, "ListKeys", target)
        found = tx.keys.list(vault_id, compartment_id, page, request.filters())
    now = deps.clock.now()
    return cut([key_as_of(k, vault, now) for k in found], page)


def update_key(deps: Deps, call: Call, request: UpdateKeyRequest) -> Key:
    """Change display name or tags of a key that is ENABLED or DISABLED."""
    with deps.db.transaction() as tx:
        _, key = key_for(deps, tx, call, request.vault_id, request.key_id, "UpdateKey")
        check_etag(key.id, key.version, request.if_match)
        require_state(key.lifecycle_state, (State.ENABLED, State.DISABLED), "key")
        if request.display_name is not None:
            key.display_name = request.display_name
        if request.freeform_tags is not None:
            key.freeform_tags = request.freeform_tags
        if request.defined_tags is not None:
            key.defined_tags = request.defined_tags
        tx.keys.save(key)
    return key


def enable_key(deps: Deps, call: Call, request: EnableKeyRequest) -> Key:
    """EnableKey. Enabling an ENABLED key is accepted (idempotent)."""
    return _set_enabled(deps, call, request, State.ENABLED, "EnableKey")


def disable_key(deps: Deps, call: Call, request: DisableKeyRequest) -> Key:
    """DisableKey. Disabling a DISABLED key is accepted (idempotent)."""
    return _set_enabled(deps, call, request, State.DISABLED, "DisableKey")


def _set_enabled(
    deps: Deps,
    call: Call,
    request: EnableKeyRequest | DisableKeyRequest,
    wanted: State,
    operation: str,
) -> Key:
    with deps.db.transaction() as tx:
        vault, key = key_for(deps, tx, call, request.vault_id, request.key_id, operation)
        check_etag(key.id, key.version, request.if_match)
        require_state(vault.lifecycle_state, (State.ACTIVE,), "vault")
        require_state(key.lifecycle_state, (State.ENABLED, State.DISABLED), "key")
        if key.lifecycle_state is not wanted:
            key.lifecycle_state = wanted
            tx.keys.save(key)
    return key


def schedule_key_deletion(deps: Deps, call: Call, request: ScheduleKeyDeletionRequest) -> Key:
    """Move an ENABLED or DISABLED key to PENDING_DELETION for 7-30 days.

    Refused (DeletionProtected) while the key's deletion protection is on, whatever the API.
    """
    with deps.db.transaction() as tx:
        _, key = key_for(deps, tx, call, request.vault_id, request.key_id, "ScheduleKeyDeletion")
        check_etag(key.id, key.version, request.if_match)
        require_state(key.lifecycle_state, (State.ENABLED, State.DISABLED), "key")
        require_unprotected(key)
        if request.refuse_if_protecting_secrets:
            refuse_if_protecting_secrets(tx, key)
        low, high = KEY_DELETION_DAYS
        high = request.longest_days or high
        when = request.time_of_deletion
        key.time_of_deletion = deletion_time(deps.clock.now(), when, low, high)
        key.lifecycle_state = State.PENDING_DELETION
        tx.keys.save(key)
    return key


def cancel_key_deletion(deps: Deps, call: Call, request: CancelKeyDeletionRequest) -> Key:
    """Bring a PENDING_DELETION key back; it returns ENABLED, as in OCI."""
    with deps.db.transaction() as tx:
        vault, key = key_for(deps, tx, call, request.vault_id, request.key_id, "CancelKeyDeletion")
        check_etag(key.id, key.version, request.if_match)
        require_state(vault.lifecycle_state, (State.ACTIVE,), "vault")
        require_state(key.lifecycle_state, (State.PENDING_DELETION,), "key")
        key.lifecycle_state = State.ENABLED
        key.time_of_deletion = None
        tx.keys.save(key)
    return key
