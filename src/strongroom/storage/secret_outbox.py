"""Recording, in the transaction that changed them, which regions must hear of changed secrets.

A source secret changed by a transaction gets one outbox entry of stream ``secrets`` per region
that must hear of it (its targets, and regions whose replica is to be removed), naming the
secret only: the shipper reads the secret as it is when it ships, so content never waits in
the outbox. ``secret_replicas`` keeps, per secret and region, the newest entry to ship and the
newest the region applied; work requests made in the transaction learn their entries' numbers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from strongroom.storage import schema
from strongroom.storage.changes import Changes
from strongroom.storage.realm_repository import OUTBOX_TABLE, RealmRepository

__all__ = ["SECRETS_STREAM", "capture_secret_changes"]

SECRETS_STREAM = "secrets"
V = schema.secret_versions
S, R, OUTBOX, W = (
    schema.secrets,
    schema.secret_replicas,
    schema.replication_outbox,
    schema.work_requests,
)

# Statements built once (this runs in every transaction that writes a secret), run with their
# parameters; where-clause parameters are prefixed so they never name a column.
_SECRETS = select(S.c.id, S.c.replication_config, S.c.source_region).where(
    S.c.id.in_(bindparam("w_ids", expanding=True))
)
_REPLICAS = select(R.c.secret_id, R.c.region).where(
    R.c.secret_id.in_(bindparam("w_ids", expanding=True))
)
_ENTRY = insert(OUTBOX).returning(OUTBOX.c.seq)
_MOVE_REPLICA = update(R).where(
    R.c.secret_id == bindparam("w_secret_id"), R.c.region == bindparam("w_region")
)
_NEW_REPLICA = insert(R)
_STAMP_VERSIONS = update(V).where(
    V.c.secret_id == bindparam("w_secret_id"),
    V.c.number.in_(bindparam("w_numbers", expanding=True)),
)
_NUMBER_WORK = update(W).where(W.c.id == bindparam("w_id"))


def capture_secret_changes(conn: Connection, changes: Changes, now: datetime) -> None:
    """Write the outbox entries of the source secrets ``changes`` names (see the module)."""
    ids = sorted(changes.rows.get(S.name, ()))
    if not ids:
        return
    rows = conn.execute(_SECRETS, {"w_ids": ids}).all()
    sources = [r for r in rows if r.source_region is None]  # a replica's source ships it
    if not sources:
        return
    replicas: dict[str, set[str]] = {}
    for secret_id, region in conn.execute(_REPLICAS, {"w_ids": ids}):
        replicas.setdefault(secret_id, set()).add(region)
    seqs: dict[tuple[str, str], int] = {}
    versions = _changed_versions(changes)
    locked = False
    for row in sorted(sources, key=lambda r: r.id):
        targets = _regions(row.replication_config)
        written = []
        for region in sorted(targets | replicas.get(row.id, set())):
            if not locked:
                RealmRepository(conn, changes).lock_outbox()
                locked = True
            seqs[(row.id, region)] = _entry(conn, changes, row.id, region, now)
            _note_replica(conn, row.id, region, seqs[(row.id, region)], region not in targets, now)
            written.append(seqs[(row.id, region)])
        if written and versions.get(row.id):
            stamp = {
                "change_seq": min(written),
                "w_secret_id": row.id,
                "w_numbers": versions[row.id],
            }
            conn.execute(_STAMP_VERSIONS, stamp)
    if changes.work_requests:
        _number_work_requests(conn, changes.work_requests, seqs)


def _changed_versions(changes: Changes) -> dict[str, list[int]]:
    """The version numbers the transaction wrote, by secret."""
    found: dict[str, list[int]] = {}
    for key in changes.rows.get(V.name, ()):
        secret_id, _, number = key.rpartition("/")
        found.setdefault(secret_id, []).append(int(number))
    return found


def _regions(config: dict[str, Any] | None) -> set[str]:
    if not config:
        return set()
    return {str(t["targetRegion"]) for t in config.get("replicationTargets", [])}


def _entry(conn: Connection, changes: Changes, secret_id: str, region: str, now: datetime) -> int:
    values = {
        "stream": SECRETS_STREAM,
        "destination": region,
        "payload": {"secretId": secret_id},
        "time_created": now,
    }
    changes.add(OUTBOX_TABLE)
    return int(conn.execute(_ENTRY, values).scalar_one())


def _note_replica(
    conn: Connection, secret_id: str, region: str, seq: int, removed: bool, now: datetime
) -> None:
    moved = {"wanted_seq": seq, "time_changed": now, "removed": removed}
    where = {"w_secret_id": secret_id, "w_region": region}
    if not conn.execute(_MOVE_REPLICA, {**moved, **where}).rowcount:
        values = {"secret_id": secret_id, "region": region, "applied_seq": 0, **moved}
        conn.execute(_NEW_REPLICA, {**values, "applied_version": None, "time_applied": None})


def _number_work_requests(
    conn: Connection,
    works: list[tuple[str, str, dict[str, dict[str, Any]]]],
    seqs: dict[tuple[str, str], int],
) -> None:
    for work_id, resource_id, targets in works:
        numbered = {
            region: {**target, "seq": seqs.get((resource_id, region))}
            for region, target in targets.items()
        }
        conn.execute(_NUMBER_WORK, {"targets": numbered, "w_id": work_id})
