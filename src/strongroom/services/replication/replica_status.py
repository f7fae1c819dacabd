"""How each replica of a source secret is doing, from the source region's ``secret_replicas``
(a Strongroom extension: GET /20180608/secrets/{secretId}/replicationStatus, and the CLI's
``replication status``).

A replica is IN_SYNC when its region applied the newest state shipped to it, PENDING while a
newer one waits (FAILED when the last attempt was refused), REMOVING while its deletion is
still to reach the region. Its lag is how long the newest state has been waiting (0 in sync).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from strongroom.domain.errors import NotFound
from strongroom.iam.target import Target
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.lookup import NOT_FOUND
from strongroom.services.ports import Deps
from strongroom.storage import realm_schema

__all__ = [
    "FAILED",
    "IN_SYNC",
    "PENDING",
    "REMOVING",
    "GetSecretReplicationStatusRequest",
    "ReplicaStatus",
    "get_secret_replication_status",
    "replica_status",
    "replication_statuses",
]

IN_SYNC, PENDING, FAILED, REMOVING = "IN_SYNC", "PENDING", "FAILED", "REMOVING"
R = realm_schema.secret_replicas


@dataclass(frozen=True)
class ReplicaStatus:
    """One target region of a source secret, as the source region sees it."""

    secret_id: str
    region: str
    state: str
    lag_seconds: float
    last_error: str | None
    last_applied_version: int | None
    time_last_applied: datetime | None


@dataclass(frozen=True)
class GetSecretReplicationStatusRequest:
    """GetSecretReplicationStatus: the replicas of one source secret."""

    secret_id: str


def replica_status(row: Any, now: datetime) -> ReplicaStatus:
    """The status of one ``secret_replicas`` row at ``now``."""
    behind = row.applied_seq < row.wanted_seq
    if row.removed:
        state = REMOVING
    elif behind and row.last_error:
        state = FAILED
    elif behind:
        state = PENDING
    else:
        state = IN_SYNC
    lag = max(0.0, (now - row.time_changed).total_seconds()) if behind else 0.0
    return ReplicaStatus(
        row.secret_id,
        row.region,
        state,
        round(lag, 3),
        row.last_error if behind or row.removed else None,
        row.applied_version,
        row.time_applied,
    )


def get_secret_replication_status(
    deps: Deps, call: Call, request: GetSecretReplicationStatusRequest
) -> list[ReplicaStatus]:
    """The replicas of a secret the caller may read (as GetSecret), by region; none for a
    secret that is not replicated (or is itself a replica)."""
    query = select(R).where(R.c.secret_id == request.secret_id).order_by(R.c.region)
    with deps.db.transaction(read_only=True) as tx:
        secret = tx.secrets.get(request.secret_id)
        if secret is None or secret.tenancy_id != call.principal.tenancy_id:
            raise NotFound(NOT_FOUND)
        target = Target(
            secret.tenancy_id,
            secret.compartment_id,
            vault_id=secret.vault_id,
            secret_id=secret.id,
            secret_name=secret.name,
        )
        authorize(deps, call, "GetSecretReplicationStatus", target)
        rows = tx.conn.execute(query).all()
    now = deps.clock.now()
    return [replica_status(row, now) for row in rows]


def replication_statuses(deps: Deps, secret_id: str | None = None) -> list[ReplicaStatus]:
    """Every replica this region ships to (of one secret), by secret then region: the
    operator's view (``strongroom replication status``), not authorized per call."""
    query = select(R).order_by(R.c.secret_id, R.c.region)
    if secret_id is not None:
        query = query.where(R.c.secret_id == secret_id)
    with deps.db.transaction(read_only=True) as tx:
        rows = tx.conn.execute(query).all()
    now = deps.clock.now()
    return [replica_status(row, now) for row in rows]
