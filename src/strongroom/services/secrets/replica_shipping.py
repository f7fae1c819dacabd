"""Shipping secrets to a target region (the source's side): each entry names a secret, and
travels as the secret is now (metadata, versions and their plaintext contents, opened with the
source key); several entries of one secret in a batch send its state once. The answer settles
``secret_replicas`` and the work requests waiting for it."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from strongroom.domain.errors import StrongroomError
from strongroom.domain.lifecycle import State
from strongroom.domain.secret import Secret, SecretVersion
from strongroom.services.ports import Deps
from strongroom.services.replication.work_requests import settle_targets
from strongroom.services.secrets.envelope import open_content
from strongroom.storage import schema
from strongroom.storage.realm_repository import OutboxEntry
from strongroom.storage.secret_rows import (
    generation_to_json,
    replication_to_json,
    rotation_to_json,
    rules_to_json,
)
from strongroom.storage.unit_of_work import Transaction

__all__ = ["SECRET_CODEC", "SecretCodec", "record_results", "secret_items"]

R = schema.secret_replicas
S = schema.secrets
V = schema.secret_versions


def secret_items(
    deps: Deps, destination: str, entries: list[OutboxEntry]
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """What travels for ``entries``, and the entries that failed here (seq -> reason)."""
    last = {str(e.payload["secretId"]): e.seq for e in entries}
    items: list[dict[str, Any]] = []
    failed: dict[int, str] = {}
    for entry in entries:
        secret_id = str(entry.payload["secretId"])
        if last[secret_id] != entry.seq:
            items.append({"seq": entry.seq, "secretId": secret_id, "skip": True})
            continue
        try:
            items.append(_item(deps, destination, entry.seq, secret_id))
        except StrongroomError as error:
            failed[entry.seq] = error.message
            items.append({"seq": entry.seq, "secretId": secret_id, "skip": True})
    return items, failed


def _item(deps: Deps, destination: str, seq: int, secret_id: str) -> dict[str, Any]:
    now = deps.clock.now()
    with deps.db.transaction(read_only=True) as tx:
        secret = tx.secrets.get(secret_id)
        held = tx.conn.execute(
            select(R.c.applied_version, R.c.time_applied).where(
                R.c.secret_id == secret_id, R.c.region == destination
            )
        ).first()
        known, since = (held.applied_version, held.time_applied) if held else (None, None)
        window = since - CHANGE_WINDOW if since is not None else None
        versions = tx.secrets.versions_of(secret_id, known, window) if secret else []
    target = secret.replication.target(destination) if secret and secret.replication else None
    if secret is None or target is None or secret.state_at(now) is State.DELETED:
        return {"seq": seq, "secretId": secret_id, "delete": True}
    return {
        "seq": seq,
        "secretId": secret_id,
        "secret": _state(secret),
        "target": {"vaultId": target.vault_id, "keyId": target.key_id},
        "versions": [
            _version(deps, secret, v, known is None or v.number > known) for v in versions
        ],
    }


# Versions written since shortly before the target's last applied state are sent again (well
# beyond the seconds between building a state and its acknowledgement).
CHANGE_WINDOW = timedelta(hours=1)


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
    deps: Deps, destination: str, results: list[dict[str, Any]], failed_here: dict[int, str]
) -> None:
    """Settle ``secret_replicas`` and work requests from a target's answer."""
    now = deps.clock.now()
    outcome: dict[str, tuple[int, str | None]] = {}
    resend: set[str] = set()
    for result in results:
        seq, secret_id = int(result["seq"]), str(result["secretId"])
        error = failed_here.get(seq) or (
            str(result.get("error")) if result.get("status") == "failed" else None
        )
        outcome[secret_id] = (seq, error)  # the newest entry of each secret decides
        if result.get("resend"):
            resend.add(secret_id)
    with deps.db.transaction() as tx:  # one transaction for the whole batch
        for secret_id, (seq, error) in outcome.items():
            if secret_id in resend:
                _send_whole(tx, secret_id, destination)
                continue
            _record(tx, secret_id, destination, seq, error, now)
            settle_targets(deps, tx, secret_id, destination, seq, error)


def _send_whole(tx: Transaction, secret_id: str, region: str) -> None:
    """The target lacks a version's content this region thought it held: forget what it
    holds, and ship the secret again (a new outbox entry, written as the transaction ends)."""
    where = (R.c.secret_id == secret_id, R.c.region == region)
    tx.conn.execute(update(R).where(*where).values(applied_version=None, time_applied=None))
    tx.touched.row(S.name, secret_id)


def _record(
    tx: Transaction, secret_id: str, region: str, seq: int, error: str | None, now: datetime
) -> None:
    where = (R.c.secret_id == secret_id, R.c.region == region)
    row = tx.conn.execute(select(R).where(*where)).first()
    if row is None:
        return
    if row.removed and error is None and seq >= row.wanted_seq:
        tx.conn.execute(delete(R).where(*where))  # the replica is gone: nothing to track
        return
    # A refused entry is not applied: the replica stays behind (FAILED) until a later one is.
    applied = max(row.applied_seq, seq) if error is None else row.applied_seq
    values: dict[str, Any] = {"applied_seq": applied, "last_error": error}
    if error is None:
        values["time_applied"] = now
        if seq >= row.wanted_seq:  # the newest state was applied: its latest version
            latest = select(func.max(V.c.number)).where(V.c.secret_id == secret_id)
            values["applied_version"] = tx.conn.execute(latest).scalar()
    tx.conn.execute(update(R).where(*where).values(values))


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
        destination: str,
        results: list[dict[str, Any]],
        failed_here: dict[int, str],
    ) -> None:
        record_results(deps, destination, results, failed_here)


SECRET_CODEC = SecretCodec()
