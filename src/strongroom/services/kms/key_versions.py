"""Key version use cases: rotate (create), get, list, schedule and cancel version deletion."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from strongroom.domain.errors import IncorrectState, InvalidParameter
from strongroom.domain.key import KEY_DELETION_DAYS, KeyVersion
from strongroom.domain.lifecycle import State, deletion_time, require_state
from strongroom.domain.paging import Page, PageRequest, cut
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.external.keys import new_external_version
from strongroom.services.kms.keys import new_version
from strongroom.services.lookup import key_for, version_as_of, version_for
from strongroom.services.ports import Deps

__all__ = [
    "CancelKeyVersionDeletionRequest",
    "CreateKeyVersionRequest",
    "GetKeyVersionRequest",
    "ListKeyVersionsRequest",
    "ScheduleKeyVersionDeletionRequest",
    "cancel_key_version_deletion",
    "create_key_version",
    "get_key_version",
    "list_key_versions",
    "schedule_key_version_deletion",
]


@dataclass(frozen=True, kw_only=True)
class CreateKeyVersionRequest:
    """Input of CreateKeyVersion (rotation); EKMS keys may name the EKM's version to use."""

    vault_id: str
    key_id: str
    external_key_version_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class GetKeyVersionRequest:
    """Input of GetKeyVersion."""

    vault_id: str
    key_id: str
    key_version_id: str


@dataclass(frozen=True, kw_only=True)
class ListKeyVersionsRequest:
    """Input of ListKeyVersions: a key's versions, one window at a time."""

    vault_id: str
    key_id: str
    page: PageRequest = field(default_factory=PageRequest)


@dataclass(frozen=True, kw_only=True)
class ScheduleKeyVersionDeletionRequest:
    """Input of ScheduleKeyVersionDeletion; no ``time_of_deletion`` means in 30 days."""

    vault_id: str
    key_id: str
    key_version_id: str
    time_of_deletion: datetime | None = None
    if_match: str | None = None


@dataclass(frozen=True, kw_only=True)
class CancelKeyVersionDeletionRequest:
    """Input of CancelKeyVersionDeletion."""

    vault_id: str
    key_id: str
    key_version_id: str
    if_match: str | None = None


def create_key_version(deps: Deps, call: Call, request: CreateKeyVersionRequest) -> KeyVersion:
    """CreateKeyVersion: new material becomes the current version; old versions still decrypt.

    An EXTERNAL key's new version uses the EKM's current version of the external key, or
    ``external_key_version_id`` when given (EKMS); no material is made here.
    """
    vault_id, key_id = request.vault_id, request.key_id
    external_version_id = request.external_key_version_id
    with deps.db.transaction() as tx:
        vault, key = key_for(deps, tx, call, vault_id, key_id, "CreateKeyVersion")
        require_state(vault.lifecycle_state, (State.ACTIVE,), "vault")
        require_state(key.lifecycle_state, (State.ENABLED,), "key")
    if key.is_external:
        version = new_external_version(deps, vault, key, deps.clock.now(), external_version_id)
    elif external_version_id is not None:
        raise InvalidParameter("externalKeyVersionId is only valid for EXTERNAL keys")
    else:
        version = new_version(deps, key, deps.clock.now())
    with deps.db.transaction() as tx:
        _, live = key_for(deps, tx, call, vault_id, key_id, "CreateKeyVersion")
        require_state(live.lifecycle_state, (State.ENABLED,), "key")
        tx.keys.add_version(version)
        live.current_version_id = version.id
        live.external_key_version_id = version.external_key_version_id
        tx.keys.save(live)
    return version


def get_key_version(deps: Deps, call: Call, request: GetKeyVersionRequest) -> KeyVersion:
    """One version of a key."""
    with deps.db.transaction(read_only=True) as tx:
        _, key = key_for(deps, tx, call, request.vault_id, request.key_id, "GetKeyVersion")
        return version_for(deps, tx, key, request.key_version_id)


def list_key_versions(deps: Deps, call: Call, request: ListKeyVersionsRequest) -> Page[KeyVersion]:
    """Versions of a key."""
    with deps.db.transaction(read_only=True) as tx:
        _, key = key_for(deps, tx, call, request.vault_id, request.key_id, "ListKeyVersions")
        found = tx.keys.list_versions(key.id, request.page)
    now = deps.clock.now()
    return cut([version_as_of(v, key, now) for v in found], request.page)


def schedule_key_version_deletion(
    deps: Deps, call: Call, request: ScheduleKeyVersionDeletionRequest
) -> KeyVersion:
    """Schedule deletion of a version that is not the key's current one."""
    operation = "ScheduleKeyVersionDeletion"
    with deps.db.transaction() as tx:
        _, key = key_for(deps, tx, call, request.vault_id, request.key_id, operation)
        version = version_for(deps, tx, key, request.key_version_id)
        check_etag(version.id, version.version, request.if_match)
        require_state(key.lifecycle_state, (State.ENABLED, State.DISABLED), "key")
        require_state(version.lifecycle_state, (State.ENABLED,), "key version")
        if version.id == key.current_version_id:
            raise IncorrectState("The current key version cannot be deleted; rotate the key first")
        low, high = KEY_DELETION_DAYS
        when = request.time_of_deletion
        version.time_of_deletion = deletion_time(deps.clock.now(), when, low, high)
        version.lifecycle_state = State.PENDING_DELETION
        tx.keys.save_version(version)
    return version


def cancel_key_version_deletion(
    deps: Deps, call: Call, request: CancelKeyVersionDeletionRequest
) -> KeyVersion:
    """Bring a PENDING_DELETION version back to ENABLED."""
    operation = "CancelKeyVersionDeletion"
    with deps.db.transaction() as tx:
        _, key = key_for(deps, tx, call, request.vault_id, request.key_id, operation)
        version = version_for(deps, tx, key, request.key_version_id)
        check_etag(version.id, version.version, request.if_match)
        require_state(version.lifecycle_state, (State.PENDING_DELETION,), "key version")
        version.lifecycle_state = State.ENABLED
        version.time_of_deletion = None
        tx.keys.save_version(version)
    return version
