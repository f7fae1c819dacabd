"""Recording, in the transaction that changed them, which regions must hear of changed secrets.

A source secret changed by a transaction gets one outbox entry of stream ``secrets`` per region
that must hear of it (its targets, and regions whose replica is to be removed), naming the
secret only: the shipper reads the secret as it is when it ships, so content never waits in
the outbox. ``secret_replicas`` keeps, per secret and region, the newest entry to ship and the
newest the region applied; the work requests made in the transaction are written with their
entries' numbers.

This runs inside every transaction that writes a secret, while SQLite's one writer waits: its
statements are built once, and it runs a few of them however many regions are involved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from strongroom.storage import realm_schema, schema
from strongroom.storage.changes import Changes
from strongroom.storage.realm_repository import OUTBOX_TABLE, RealmRepository

__all__ = ["SECRETS_STREAM", "capture_secret_changes"]

SECRETS_STREAM = "secrets"
V = schema.secret_versions
S, R, OUTBOX, W = (
    schema.secrets,
    realm_schema.secret_replicas,
    realm_schema.replication_outbox,
    realm_schema.work_requests,
)

# Where-clause parameters are prefixed so they never name a column.
_SECRETS = (
    select(S.c.id, S.c.replication_config, S.c.source_region, R.c.region)
    .select_from(S.outerjoin(R, R.c.secret_id == S.c.id))
    .where(S.c.id.in_(bindparam("w_ids", expanding=True)))
)
_ENTRIES = insert(OUTBOX).returning(OUTBOX.c.seq, OUTBOX.c.destination, OUTBOX.c.payload)
_MOVE_REPLICA = update(R).where(
    R.c.secret_id == bindparam("w_secret_id"), R.c.region == bindparam("w_region")
)
_NEW_REPLICA = insert(R)
_STAMP_VERSIONS = update(V).where(
    V.c.secret_id == bindparam("w_secret_id"),
    V.c.number.in_(bindparam("w_numbers", expanding=True)),
)
_NEW_WORK = insert(W)


def capture_secret_changes(conn: Connection, changes: Changes, now: datetime) -> None:
    """Write the outbox entries of the source secrets ``changes`` names (see the module)."""
    ids = sorted(changes.rows.get(S.name, ()))
    wanted = _wanted(conn, ids) if ids else {}
    seqs = _write_entries(conn, changes, wanted, now) if wanted else {}
    for secret_id, numbers in _changed_versions(changes).items():
        written = [seq for (sid, _), seq in seqs.items() if sid == secret_id]
        if written:
            stamp = {"change_seq": min(written), "w_secret_id": secret_id, "w_numbers": numbers}
            conn.execute(_STAMP_VERSIONS, stamp)
    if changes.work_requests:
        _write_work_requests(conn, changes.work_requests, seqs)


def _wanted(conn: Connection, ids: list[str]) -> dict[str, dict[str, tuple[bool, bool]]]:
    """By source secret, the regions that must hear of it: whether each is a target (or
    hears of a removal), and whether it already has a ``secret_replicas`` row. Replicas are
    shipped by their own source."""
    targets: dict[str, set[str]] = {}
    tracked: dict[str, set[str]] = {}
    for row in conn.execute(_SECRETS, {"w_ids": ids}):
        if row.source_region is not None:
            continue
        targets.setdefault(row.id, _regions(row.replication_config))
        tracked.setdefault(row.id, set())
        if row.region is not None:
            tracked[row.id].add(row.region)
    wanted: dict[str, dict[str, tuple[bool, bool]]] = {}
    for secret_id, regions in targets.items():
        known = tracked[secret_id]
        every = sorted(regions | known)  # a region dropped from the targets hears of it
        if every:
            wanted[secret_id] = {r: (r in regions, r in known) for r in every}
    return wanted


def _write_entries(
    conn: Connection,
    changes: Changes,
    wanted: dict[str, dict[str, tuple[bool, bool]]],
    now: datetime,
) -> dict[tuple[str, str], int]:
    """One outbox entry per (secret, region), and the regions' ``secret_replicas`` rows
    pointed at them; the entries' numbers by (secret, region)."""
    RealmRepository(conn, changes).lock_outbox()
    changes.add(OUTBOX_TABLE)
    entries = [
        {
            "stream": SECRETS_STREAM,
            "destination": region,
            "payload": {"secretId": secret_id},
            "time_created": now,
        }
        for secret_id in sorted(wanted)
        for region in wanted[secret_id]
    ]
    seqs = {
        (str(r.payload["secretId"]), str(r.destination)): int(r.seq)
        for r in conn.execute(_ENTRIES, entries)
    }
    moves: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    for secret_id, regions in wanted.items():
        for region, (target, tracked) in regions.items():
            moved = {
                "wanted_seq": seqs[(secret_id, region)],
                "time_changed": now,
                "removed": not target,
            }
            if tracked:
                moves.append({**moved, "w_secret_id": secret_id, "w_region": region})
            else:
                new.append({**moved, **_untracked(secret_id, region)})
    if moves:
        conn.execute(_MOVE_REPLICA, moves)
    if new:
        conn.execute(_NEW_REPLICA, new)
    return seqs


def _untracked(secret_id: str, region: str) -> dict[str, Any]:
    return {
        "secret_id": secret_id,
        "region": region,
        "applied_seq": 0,
        "applied_version": None,
        "time_applied": None,
    }


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


def _write_work_requests(
    conn: Connection, works: list[dict[str, Any]], seqs: dict[tuple[str, str], int]
) -> None:
    """Insert the transaction's work requests, each target with the number of the entry
    that carries the change to its region."""
    rows = []
    for work in works:
        targets = {
            region: {**target, "seq": seqs.get((work["resource_id"], region))}
            for region, target in work["targets"].items()
        }
        rows.append({**work, "targets": targets})
    conn.execute(_NEW_WORK, rows)
