"""Scheduling and cancelling the deletion of secrets and of (DEPRECATED) secret versions."""

from __future__ import annotations

from dataclasses import dataclass
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
from strongroom.services.secrets.lookup import (
    VersionRef,
    require_active,
    version_for,
    writable_secret_for,
)
from strongroom.services.secrets.versions import SecretVersionResult

__all__ = [
    "CancelSecretDeletionRequest",
    "CancelSecretVersionDeletionRequest",
    "ScheduleSecretDeletionRequest",
    "ScheduleSecretVersionDeletionRequest",
    "cancel_secret_deletion",
    "cancel_secret_version_deletion",
    "schedule_secret_deletion",
    "schedule_secret_version_deletion",
]


@dataclass(frozen=True)
class ScheduleSecretDeletionRequest:
    """ScheduleSecretDeletion's input; no ``time_of_deletion`` means in 30 days."""

    secret_id: str
    time_of_deletion: datetime | None = None
    if_match: str | None = None


@dataclass(frozen=True)
class CancelSecretDeletionRequest:
    """CancelSecretDeletion's input."""

    secret_id: str
    if_match: str | None = None


@dataclass(frozen=True)
class ScheduleSecretVersionDeletionRequest:
    """ScheduleSecretVersionDeletion's input; no ``time_of_deletion`` means in 30 days."""

    secret_id: str
    version_number: int
    time_of_deletion: datetime | None = None
    if_match: str | None = None


@dataclass(frozen=True)
class CancelSecretVersionDeletionRequest:
    """CancelSecretVersionDeletion's input."""

    secret_id: str
    version_number: int
    if_match: str | None = None


def schedule_secret_deletion(
    deps: Deps, call: Call, request: ScheduleSecretDeletionRequest
) -> Secret:
    """ACTIVE -> PENDING_DELETION for 1-30 days (30 by default); its contents become unreadable."""
    with deps.db.transaction() as tx:
        secret = writable_secret_for(deps, tx, call, request.secret_id, "ScheduleSecretDeletion")
        check_etag(secret.id, secret.version, request.if_match)
        require_state(secret.lifecycle_state, (State.ACTIVE,), "secret")
        low, high = SECRET_DELETION_DAYS
        when = deletion_time(deps.clock.now(), request.time_of_deletion, low, high)
        secret.time_of_deletion = when
        secret.lifecycle_state = State.PENDING_DELETION
        tx.secrets.save(secret)
    return secret


def cancel_secret_deletion(deps: Deps, call: Call, request: CancelSecretDeletionRequest) -> Secret:
    """PENDING_DELETION -> ACTIVE before the deletion time comes."""
    with deps.db.transaction() as tx:
        secret = writable_secret_for(deps, tx, call, request.secret_id, "CancelSecretDeletion")
        check_etag(secret.id, secret.version, request.if_match)
        require_state(secret.lifecycle_state, (State.PENDING_DELETION,), "secret")
        secret.lifecycle_state = State.ACTIVE
        secret.time_of_deletion = None
        tx.secrets.save(secret)
    return secret


def schedule_secret_version_deletion(
    deps: Deps, call: Call, request: ScheduleSecretVersionDeletionRequest
) -> SecretVersionResult:
    """Schedule the deletion of a DEPRECATED version in 1-30 days (30 by default)."""
    number = request.version_number
    with deps.db.transaction() as tx:
        secret = writable_secret_for(
            deps, tx, call, request.secret_id, "ScheduleSecretVersionDeletion"
        )
        require_active(secret)
        version = version_for(deps, tx, secret, VersionRef(number=number))
        _check_version_etag(version, request.if_match)
        require_state(version.lifecycle_state, (State.ACTIVE,), "secret version")
        if version.stage is not Stage.DEPRECATED:
            raise IncorrectState(
                f"Secret version {number} is {version.stage.value}; only DEPRECATED versions "
                "can be deleted"
            )
        low, high = VERSION_DELETION_DAYS
        when = deletion_time(deps.clock.now(), request.time_of_deletion, low, high)
        version.time_of_deletion = when
        version.lifecycle_state = State.PENDING_DELETION
        tx.secrets.save_version(version)
    return SecretVersionResult(secret, version)


def cancel_secret_version_deletion(
    deps: Deps, call: Call, request: CancelSecretVersionDeletionRequest
) -> SecretVersionResult:
    """Bring a version back from PENDING_DELETION before its deletion time."""
    with deps.db.transaction() as tx:
        secret = writable_secret_for(
            deps, tx, call, request.secret_id, "CancelSecretVersionDeletion"
        )
        require_active(secret)
        version = version_for(deps, tx, secret, VersionRef(number=request.version_number))
        _check_version_etag(version, request.if_match)
        require_state(version.lifecycle_state, (State.PENDING_DELETION,), "secret version")
        version.lifecycle_state = State.ACTIVE
        version.time_of_deletion = None
        tx.secrets.save_version(version)
    return SecretVersionResult(secret, version)


def _check_version_etag(version: SecretVersion, if_match: str | None) -> None:
    check_etag(version.resource_name, version.version, if_match)
