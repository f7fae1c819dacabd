"""Shipping secrets to a target region (the source's side): each entry names a secret, and
travels as the secret is now (metadata, versions and their plaintext contents, opened with the
source key); several entries of one secret in a batch send its state once. The answer settles
``secret_replicas`` and the work requests waiting for it."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update

from strongroom.domain.errors import StrongroomError
from strongroom.domain.lifecycle import State
from strongroom.domain.secret import Secret, SecretVersion
from strongroom.services.ports import Deps
from strongroom.services.replication.work_requests import settle_many
from strongroom.services.secrets.envelope import open_content
from strongroom.storage import realm_schema, schema
from strongroom.storage.realm_repository import OutboxEntry
from strongroom.storage.secret_rows import (
    generation_to_json,
    replication_to_json,
    rotation_to_json,
    rules_to_json,
)
from strongroom.storage.unit_of_work import Transaction

__all__ = ["SECRET_CODEC", "SecretCodec", "record_results", "secret_items"]

R = realm_schema.secret_replicas
S = schema.secrets
V = schema.secret_versions

# Statements built once, run with their parameters (see storage.secret_outbox); a batch's
# answer runs them once per secret. The shipper alone writes what a region applied.
_WHERE_REPLICA = (R.c.secret_id == bindparam("w_secret_id"), R.c.region == bindparam("w_region"))
_REPLICAS = select(
    R.c.secret_id, R.c.removed, R.c.wanted_seq, R.c.applied_seq, R.c.applied_version
).where(
    R.c.secret_id.in_(bindparam("w_secret_ids", expanding=True)),
    R.c.region == bindparam("w_region"),
)
_FORGET_REPLICA = delete(R).where(*_WHERE_REPLICA)
_UPDATE_REPLICA = update(R).where(*_WHERE_REPLICA)


def secret_items(
    deps: Deps, destination: str, entries: list[OutboxEntry]
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """What travels for ``entries`` (read in one transaction, a few queries for the whole
    batch), and the entries that failed here (seq -> reason)."""
    last = {str(e.payload["secretId"]): e.seq for e in entries}
    batch = _Batch.load(deps, destination, list(last))
    items: list[dict[str, Any]] = []
    failed: dict[int, str] = {}
    for entry in entries:
        secret_id = str(entry.payload["secretId"])
        if last[secret_id] != entry.seq:
            items.append({"seq": entry.seq, "secretId": secret_id, "skip": True})
            continue
        try:
            items.append(batch.item(deps, destination, entry.seq, secret_id))
        except StrongroomError as error:
            failed[entry.seq] = error.message
            items.append({"seq": entry.seq, "secretId": secret_id, "skip": True})
    return items, failed


class _Batch:
    """The secrets of a batch as stored, with what the destination holds of each: the newest
    version number and the sequence number of the state it applied."""

    def __init__(
        self,
        secrets: dict[str, Secret],
        held: dict[str, tuple[int | None, int]],
        versions: dict[str, list[tuple[SecretVersion, int | None]]],
    ) -> None:
        self.secrets, self.held, self.versions = secrets, held, versions

    @classmethod
    def load(cls, deps: Deps, destination: str, secret_ids: list[str]) -> _Batch:
        with deps.db.transaction(read_only=True) as tx:
            secrets = tx.secrets.get_many(secret_ids)
            query = select(R.c.secret_id, R.c.applied_version, R.c.applied_seq).where(
                R.c.secret_id.in_(secret_ids), R.c.region == destination
            )
            rows = tx.conn.execute(query)
            held = {r.secret_id: (r.applied_version, r.applied_seq) for r in rows}
            whole = [i for i in secret_ids if _unknown(held.get(i))]
            known = [i for i in secret_ids if not _unknown(held.get(i))]
            versions = tx.secrets.versions_changed(whole, None, None)
            if known:
                after = min(int(held[i][0] or 0) for i in known)
                since = min(held[i][1] for i in known)
                versions |= tx.secrets.versions_changed(known, after, since)
        return cls(secrets, held, versions)

    def item(self, deps: Deps, destination: str, seq: int, secret_id: str) -> dict[str, Any]:
        secret = self.secrets.get(secret_id)
        config = secret.replication if secret else None
        target = config.target(destination) if config else None
        if secret is None or target is None or secret.state_at(deps.clock.now()) is State.DELETED:
            return {"seq": seq, "secretId": secret_id, "delete": True}
        held = self.held.get(secret_id)
        known, applied = (None, 0) if _unknown(held) or held is None else held
        shipped = [
            _version(deps, secret, version, known is None or version.number > known)
            for version, changed in self.versions.get(secret_id, [])
            if known is None
            or version.number > known
            or (changed is not None and changed > applied)
        ]
        return {
            "seq": seq,
            "secretId": secret_id,
            "secret": _state(secret),
            "target": {"vaultId": target.vault_id, "keyId": target.key_id},
            "versions": shipped,
        }


def _unknown(held: tuple[int | None, int] | None) -> bool:
    """Whether what the target holds is not known well enough to send it only changes."""
    return held is None or held[0] is None or held[1] <= 0


def _state(secret: Secret) -> dict[str, Any]:
    return {
        "id": secret.id,
        "tenancyId": secret.tenancy_id,
        "compartmentId": secret.compartment_id,
        "vaultId": secret.vault_id,
        "keyId": secret.key_id,
        "name": secret.name,
        "lifecycleState": secret.lifecycle_state.value,
        "timeCreated": secret.time_created.isoformat(),
        "description": secret.description,
        "current": secret.current,
        "previous": secret.previous,
        "latest": secret.latest,
        "timeOfDeletion": _iso(secret.time_of_deletion),
        "timeOfCurrentVersionExpiry": _iso(secret.time_of_current_version_expiry),
        "metadata": secret.metadata,
        "freeformTags": secret.freeform_tags,
        "definedTags": secret.defined_tags,
        "rules": rules_to_json(secret.rules),
        "generation": generation_to_json(secret.generation),
        "autoGeneration": secret.auto_generation,
        "rotation": rotation_to_json(secret.rotation),
        "lastRotationTime": _iso(secret.last_rotation_time),
        "version": secret.version,
        "replicationConfig": replication_to_json(secret.replication),
    }


def _version(deps: Deps, secret: Secret, version: SecretVersion, new: bool) -> dict[str, Any]:
    """A version as it travels: its content only when the target does not hold it yet."""
    has_content = version.content is not None and version.wrapped_key is not None
    content = None
    if has_content and new:
        content = base64.b64encode(open_content(deps, secret, version)).decode("ascii")
    return {
        "number": version.number,
        "name": version.name,
        "stage": version.stage.value,
        "lifecycleState": version.lifecycle_state.value,
        "timeCreated": version.time_created.isoformat(),
        "timeOfDeletion": _iso(version.time_of_deletion),
        "autoGenerated": version.auto_generated,
        "version": version.version,
        "hasContent": has_content,
        "content": content,
    }


def record_results(
    deps: Deps,
    tx: Transaction,
    destination: str,
    results: list[dict[str, Any]],
    failed_here: dict[int, str],
) -> None:
    """Settle ``secret_replicas`` and work requests from a target's answer (in ``tx``)."""
    now = deps.clock.now()
    outcome: dict[str, tuple[int, str | None, int | None]] = {}
    resend: set[str] = set()
    for result in results:
        seq, secret_id = int(result["seq"]), str(result["secretId"])
        error = failed_here.get(seq) or (
            str(result.get("error")) if result.get("status") == "failed" else None
        )
        latest = result.get("latest")
        if latest is None and secret_id in outcome:
            latest = outcome[secret_id][2]  # a skipped entry after the one that carried it
        # the newest entry of each secret decides
        outcome[secret_id] = (seq, error, int(latest) if latest is not None else None)
        if result.get("resend"):
            resend.add(secret_id)
    for secret_id in resend:
        _send_whole(tx, secret_id, destination)
    settled = {k: v for k, v in outcome.items() if k not in resend}
    if settled:
        _record(tx, destination, settled, now)
        answers = [(secret_id, seq, error) for secret_id, (seq, error, _) in settled.items()]
        settle_many(deps, tx, destination, answers)


def _send_whole(tx: Transaction, secret_id: str, region: str) -> None:
    """The target lacks a version's content this region thought it held: forget what it
    holds, and ship the secret again (a new outbox entry, written as the transaction ends)."""
    where = (R.c.secret_id == secret_id, R.c.region == region)
    tx.conn.execute(update(R).where(*where).values(applied_version=None, time_applied=None))
    tx.touched.row(S.name, secret_id)


def _record(
    tx: Transaction,
    region: str,
    outcome: dict[str, tuple[int, str | None, int | None]],
    now: datetime,
) -> None:
    """What ``region`` now holds of each secret of ``outcome`` (secret -> newest entry,
    error, newest version): applied up to the entry (and, when it was the newest wanted,
    its newest version), or refused with the error; a removed replica that is gone is
    forgotten. A few statements for the whole batch."""
    query = {"w_secret_ids": list(outcome), "w_region": region}
    forget: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    applied: list[dict[str, Any]] = []
    for row in tx.conn.execute(_REPLICAS, query):
        seq, error, latest = outcome[row.secret_id]
        where = {"w_secret_id": row.secret_id, "w_region": region}
        if row.removed and error is None and seq >= row.wanted_seq:
            forget.append(where)  # the replica is gone: nothing to track
        elif error is not None:
            # A refused entry is not applied: the replica stays behind (FAILED) until one is.
            refused.append({"last_error": error, **where})
        else:
            # The region now holds the secret as shipped, every version up to ``latest``
            # (even when newer entries still wait: catching up, each batch then sends only
            # what changed since, not every version again).
            values = {
                "last_error": None,
                "applied_seq": max(seq, row.applied_seq),
                "time_applied": now,
                "applied_version": latest if latest is not None else row.applied_version,
            }
            applied.append({**values, **where})
    # executemany: one call a kind (rows of one kind set the same columns)
    for statement, rows in ((_FORGET_REPLICA, forget), (_UPDATE_REPLICA, refused)):
        if rows:
            tx.conn.execute(statement, rows)
    if applied:
        tx.conn.execute(_UPDATE_REPLICA, applied)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class SecretCodec:
    """The ``secrets`` stream's codec for the shipper (services.replication.shipping)."""

    def items(
        self, deps: Deps, destination: str, entries: list[OutboxEntry]
    ) -> tuple[list[dict[str, Any]], dict[int, str]]:
        return secret_items(deps, destination, entries)

    def results(
        self,
        deps: Deps,
        tx: Transaction,
        destination: str,
        results: list[dict[str, Any]],
        failed_here: dict[int, str],
    ) -> None:
        record_results(deps, tx, destination, results, failed_here)


SECRET_CODEC = SecretCodec()
