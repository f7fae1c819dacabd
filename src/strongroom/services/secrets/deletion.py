"""Scheduling and cancelling the deletion of secrets and of (DEPRECATED) secret versions."""

from __future__ import annotations

from datetime import datetime

from strongroom.domain.errors import IncorrectState
from strongroom.domain.lifecycle import State, deletion_time, require_state
from strongroom.domain.secret import (
    SECRET_DELETION_DAYS,
    VERSION_DELETION_DAYS,
    Secret,
    SecretVersion,
    Stage,
)
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.ports import Deps
from strongroom.services.secrets.lookup import VersionRef, require_active, secret_for, version_for


def schedule_secret_deletion(
    deps: Deps, call: Call, secret_id: str, requested: datetime | None, if_match: str | None
) -> Secret:
    """ACTIVE -> PENDING_DELETION for 1-30 days (30 by default); its contents become unreadable."""
    with deps.db.transaction() as tx:
        secret = secret_for(deps, tx, call, secret_id, "ScheduleSecretDeletion")
        check_etag(secret.id, secret.version, if_match)
        require_state(secret.lifecycle_state, (State.ACTIVE,), "secret")
        low, high = SECRET_DELETION_DAYS
        secret.time_of_deletion = deletion_time(deps.clock.now(), requested, low, high)
        secret.lifecycle_state = State.PENDING_DELETION
        tx.secrets.save(secret)
    return secret


def cancel_secret_deletion(deps: Deps, call: Call, secret_id: str, if_match: str | None) -> Secret:
    """PENDING_DELETION -> ACTIVE before the deletion time comes."""
    with deps.db.transaction() as tx:
        secret = secret_for(deps, tx, call, secret_id, "CancelSecretDeletion")
        check_etag(secret.id, secret.version, if_match)
        require_state(secret.lifecycle_state, (State.PENDING_DELETION,), "secret")
        secret.lifecycle_state = State.ACTIVE
        secret.time_of_deletion = None
        tx.secrets.save(secret)
    return secret


def schedule_version_deletion(
    deps: Deps,
    call: Call,
    secret_id: str,
    number: int,
    requested: datetime | None,
    if_match: str | None,
) -> tuple[Secret, SecretVersion]:
    """Schedule the deletion of a DEPRECATED version in 1-30 days (30 by default)."""
    with deps.db.transaction() as tx:
        secret = secret_for(deps, tx, call, secret_id, "ScheduleSecretVersionDeletion")
        require_active(secret)
        version = version_for(deps, tx, secret, VersionRef(number=number))
        _check_version_etag(version, if_match)
        require_state(version.lifecycle_state, (State.ACTIVE,), "secret version")
        if version.stage is not Stage.DEPRECATED:
            raise IncorrectState(
                f"Secret version {number} is {version.stage.value}; only DEPRECATED versions "
                "can be deleted"
            )
        low, high = VERSION_DELETION_DAYS
        version.time_of_deletion = deletion_time(deps.clock.now(), requested, low, high)
        version.lifecycle_state = State.PENDING_DELETION
        tx.secrets.save_version(version)
    return secret, version


def cancel_version_deletion(
    deps: Deps, call: Call, secret_id: str, number: int, if_match: str | None
) -> tuple[Secret, SecretVersion]:
    """Bring a version back from PENDING_DELETION before its deletion time."""
    with deps.db.transaction() as tx:
        secret = secret_for(deps, tx, call, secret_id, "CancelSecretVersionDeletion")
        require_active(secret)
        version = version_for(deps, tx, secret, VersionRef(number=number))
        _check_version_etag(version, if_match)
        require_state(version.lifecycle_state, (State.PENDING_DELETION,), "secret version")
        version.lifecycle_state = State.ACTIVE
        version.time_of_deletion = None
        tx.secrets.save_version(version)
    return secret, version


def _check_version_etag(version: SecretVersion, if_match: str | None) -> None:
    check_etag(version.resource_name, version.version, if_match)
