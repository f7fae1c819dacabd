"""Rotation of generated secrets: now (RotateSecret), on schedule, and cancelling it.

Content is generated outside transactions (an RSA key pair may take a second); the write
that adds the version then locks the secret's row if it is still due (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL: a row another process is rotating is skipped) and checks that the
secret has not changed since it was read (its row version), so two processes rotating the
same due secret make one version, not two. Scheduled work runs under the ``scheduler`` lease
(see :mod:`strongroom.services.leases`), so normally only one process tries.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from strongroom.domain.errors import Conflict, InvalidParameter, StrongroomError
from strongroom.domain.lifecycle import State
from strongroom.domain.secret import Secret, Stage
from strongroom.domain.secret_rules import next_rotation
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.kms.aliases import purge_aliases_of_deleted_keys
from strongroom.services.ports import Deps
from strongroom.services.secrets.generation import generate_content
from strongroom.services.secrets.lookup import (
    require_active,
    secret_as_of,
    writable_secret_for,
)
from strongroom.services.secrets.replica_tracking import replicated_regions, track_replication
from strongroom.services.secrets.versions import NewContent, add_version
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "BATCH",
    "RETRY_AFTER",
    "CancelSecretRotationRequest",
    "RotateSecretRequest",
    "cancel_secret_rotation",
    "purge_deleted_secrets",
    "rotate_due_secrets",
    "rotate_secret",
    "run_scheduled_work",
]

log = logging.getLogger("strongroom.rotation")
BATCH = 100
RETRY_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class RotateSecretRequest:
    """RotateSecret's input."""

    secret_id: str
    if_match: str | None = None


@dataclass(frozen=True)
class CancelSecretRotationRequest:
    """CancelSecretRotation's input."""

    secret_id: str
    if_match: str | None = None


def rotate_secret(deps: Deps, call: Call, request: RotateSecretRequest) -> Secret:
    """RotateSecret: a new generated version becomes CURRENT now."""
    secret_id = request.secret_id
    with deps.db.transaction(read_only=True) as tx:
        read = _rotatable(writable_secret_for(deps, tx, call, secret_id, "RotateSecret"))
        check_etag(read.id, read.version, request.if_match)
    content = generate_content(read.generation)
    with deps.db.transaction() as tx:
        secret = _rotatable(writable_secret_for(deps, tx, call, secret_id, "RotateSecret"))
        if secret.version != read.version:
            raise Conflict("The secret changed while it was being rotated; retry")
        _add_rotated(deps, tx, secret, content)
        track_replication(deps, tx, call, secret, "ROTATE_SECRET", replicated_regions(secret))
    return secret


def cancel_secret_rotation(deps: Deps, call: Call, request: CancelSecretRotationRequest) -> Secret:
    """CancelSecretRotation: rotation is synchronous here, so this turns scheduled rotation off."""
    with deps.db.transaction() as tx:
        secret = writable_secret_for(deps, tx, call, request.secret_id, "CancelSecretRotation")
        check_etag(secret.id, secret.version, request.if_match)
        require_active(secret)
        if secret.rotation is not None and secret.rotation.scheduled:
            secret.rotation = replace(secret.rotation, scheduled=False)
        secret.next_rotation_time = None
        tx.secrets.save(secret)
    return secret


def rotate_due_secrets(deps: Deps, limit: int = BATCH) -> int:
    """Rotate the secrets whose next rotation time has come; return how many were rotated.

    Safe to run in several processes at once: each rotation is claimed by the optimistic
    write of the secret's row, and a secret changed meanwhile is left to the next round.
    """
    now = deps.clock.now()
    with deps.db.transaction(read_only=True) as tx:
        due = tx.secrets.due_for_rotation(now, limit)
    rotated = 0
    for secret_id in due:
        try:
            rotated += _rotate_due(deps, secret_id)
        except Conflict:
            continue  # another process rotated or changed it first
        except StrongroomError as error:
            log.warning("scheduled rotation of %s failed: %s", secret_id, error.message)
            _postpone(deps, secret_id, now)
    return rotated


def purge_deleted_secrets(deps: Deps) -> int:
    """Destroy the contents of secrets and versions whose deletion time has come."""
    with deps.db.transaction() as tx:
        return tx.secrets.purge_deleted(deps.clock.now())


def run_scheduled_work(deps: Deps) -> None:
    """One round of the background scheduler: rotations due, then deletions due (and the
    aliases of keys deleted for good)."""
    rotate_due_secrets(deps)
    purge_deleted_secrets(deps)
    purge_aliases_of_deleted_keys(deps)


def _rotate_due(deps: Deps, secret_id: str) -> int:
    now = deps.clock.now()
    with deps.db.transaction(read_only=True) as tx:
        read = tx.secrets.get(secret_id)
    if read is None or not _due(secret_as_of(read, now), now):
        return 0
    content = generate_content(read.generation)
    with deps.db.transaction() as tx:
        if not tx.secrets.claim_due(secret_id, now):
            return 0  # rotated meanwhile, or being rotated by another process right now
        secret = tx.secrets.get(secret_id)
        if secret is None or secret.version != read.version:
            return 0
        _add_rotated(deps, tx, secret, content)
    return 1


def _postpone(deps: Deps, secret_id: str, now: datetime) -> None:
    """Try a failed rotation again later, so failing secrets do not crowd out the others."""
    with suppress(Conflict), deps.db.transaction() as tx:  # changed meanwhile: that stands
        secret = tx.secrets.get(secret_id)
        if secret is not None and secret.next_rotation_time is not None:
            secret.next_rotation_time = now + RETRY_AFTER
            tx.secrets.save(secret)


def _due(secret: Secret, now: datetime) -> bool:
    return (
        secret.lifecycle_state is State.ACTIVE
        and secret.auto_generation
        and secret.next_rotation_time is not None
        and secret.next_rotation_time <= now
    )


def _rotatable(secret: Secret) -> Secret:
    require_active(secret)
    if not secret.auto_generation or secret.generation is None:
        raise InvalidParameter(
            "Only secrets with enableAutoGeneration and a secretGenerationContext can be "
            "rotated; rotation through target systems is not supported"
        )
    return secret


def _add_rotated(deps: Deps, tx: Transaction, secret: Secret, content: bytes) -> None:
    now = deps.clock.now()
    add_version(deps, tx, secret, NewContent(content, None, Stage.CURRENT, auto_generated=True))
    secret.last_rotation_time = now
    secret.next_rotation_time = next_rotation(secret.rotation, now)
    tx.secrets.save(secret)
