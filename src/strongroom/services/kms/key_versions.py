"""Key version use cases: rotate (create), get, list, schedule and cancel version deletion."""

from __future__ import annotations

from datetime import datetime

from strongroom.domain.errors import IncorrectState, InvalidParameter
from strongroom.domain.key import KEY_DELETION_DAYS, Key, KeyVersion
from strongroom.domain.lifecycle import State, deletion_time, require_state
from strongroom.domain.paging import Page, PageRequest, cut
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.external.keys import new_external_version
from strongroom.services.kms.keys import new_version
from strongroom.services.lookup import key_for, version_as_of, version_for
from strongroom.services.ports import Deps


def rotate_key(
    deps: Deps, call: Call, vault_id: str, key_id: str, external_version_id: str | None = None
) -> KeyVersion:
    """CreateKeyVersion: new material becomes the current version; old versions still decrypt.

    An EXTERNAL key's new version uses the EKM's current version of the external key, or
    ``external_version_id`` when given (EKMS); no material is made here.
    """
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


def get_key_version(
    deps: Deps, call: Call, vault_id: str, key_id: str, version_id: str
) -> tuple[Key, KeyVersion]:
    """One version of a key, with its key (for isPrimary/current checks)."""
    with deps.db.transaction(read_only=True) as tx:
        _, key = key_for(deps, tx, call, vault_id, key_id, "GetKeyVersion")
        return key, version_for(deps, tx, key, version_id)


def list_key_versions(
    deps: Deps, call: Call, vault_id: str, key_id: str, page: PageRequest
) -> Page[KeyVersion]:
    """Versions of a key."""
    with deps.db.transaction(read_only=True) as tx:
        _, key = key_for(deps, tx, call, vault_id, key_id, "ListKeyVersions")
        found = tx.keys.list_versions(key.id, page)
    now = deps.clock.now()
    return cut([version_as_of(v, key, now) for v in found], page)


def schedule_version_deletion(
    deps: Deps,
    call: Call,
    vault_id: str,
    key_id: str,
    version_id: str,
    requested: datetime | None,
    if_match: str | None,
) -> KeyVersion:
    """Schedule deletion of a version that is not the key's current one."""
    with deps.db.transaction() as tx:
        _, key = key_for(deps, tx, call, vault_id, key_id, "ScheduleKeyVersionDeletion")
        version = version_for(deps, tx, key, version_id)
        check_etag(version.id, version.version, if_match)
        require_state(key.lifecycle_state, (State.ENABLED, State.DISABLED), "key")
        require_state(version.lifecycle_state, (State.ENABLED,), "key version")
        if version.id == key.current_version_id:
            raise IncorrectState("The current key version cannot be deleted; rotate the key first")
        low, high = KEY_DELETION_DAYS
        version.time_of_deletion = deletion_time(deps.clock.now(), requested, low, high)
        version.lifecycle_state = State.PENDING_DELETION
        tx.keys.save_version(version)
    return version


def cancel_version_deletion(
    deps: Deps, call: Call, vault_id: str, key_id: str, version_id: str, if_match: str | None
) -> KeyVersion:
    """Bring a PENDING_DELETION version back to ENABLED."""
    with deps.db.transaction() as tx:
        _, key = key_for(deps, tx, call, vault_id, key_id, "CancelKeyVersionDeletion")
        version = version_for(deps, tx, key, version_id)
        check_etag(version.id, version.version, if_match)
        require_state(version.lifecycle_state, (State.PENDING_DELETION,), "key version")
        version.lifecycle_state = State.ENABLED
        version.time_of_deletion = None
        tx.keys.save_version(version)
    return version
