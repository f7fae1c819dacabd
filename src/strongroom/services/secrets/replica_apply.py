"""Applying the secrets another region replicates here (the target's side).

Each shipped state is the source secret as it was when shipped: its metadata, its versions and
their plaintext contents. The replica keeps the source's OCID, version numbers and etags, lives
in the target vault under the target key (contents sealed here, never under the source key),
and is read-only. Replication acts as the secret's resource principal (type ``vaultsecret``):
it needs SECRET_REPLICATE, SECRET_CREATE, VAULT_CREATE_SECRET, KEY_ENCRYPT and KEY_DECRYPT
here. An entry that cannot apply for good (a permission, the target vault or key) is answered
``failed`` with the reason, and the stream goes on; the cursor moves with each entry.
"""

from __future__ import annotations

import base64
import contextlib
from dataclasses import replace
from datetime import datetime
from typing import Any

from strongroom.domain.errors import Conflict, InvalidParameter, StrongroomError
from strongroom.domain.identity import DynamicGroup, Principal
from strongroom.domain.key import Key
from strongroom.domain.lifecycle import State
from strongroom.domain.replication import SourceRegion
from strongroom.domain.secret import Secret, SecretVersion, Stage
from strongroom.domain.vault import Vault
from strongroom.iam.target import Target
from strongroom.services.identity.resource_principals import (
    active_dynamic_groups,
    resource_principal,
)
from strongroom.services.kms.key_use import load_key_for_service
from strongroom.services.lookup import key_target, vault_target
from strongroom.services.ports import Deps
from strongroom.services.secrets.envelope import digest, new_digest_key, seal_content
from strongroom.services.secrets.replica_targets import usable_target
from strongroom.storage.secret_rows import (
    generation_from_json,
    replication_from_json,
    rotation_from_json,
    rules_from_json,
)
from strongroom.storage.unit_of_work import Transaction

__all__ = ["REPLICATION_PERMISSIONS", "ReplicaRefused", "ResendWhole", "apply_secret_entries"]

SECRETS = "secrets"
REPLICATION_PERMISSIONS = (
    "SECRET_REPLICATE",
    "SECRET_CREATE",
    "VAULT_CREATE_SECRET",
    "KEY_ENCRYPT",
    "KEY_DECRYPT",
)


class ReplicaRefused(StrongroomError):
    """A replicated state this region cannot apply for good (the reason is the message)."""


class ResendWhole(StrongroomError):
    """A replicated state that left out a version's content this region does not hold: the
    source is asked to send the whole secret again."""


def apply_secret_entries(
    deps: Deps, source: str, entries: list[dict[str, Any]]
) -> tuple[int, list[dict[str, Any]]]:
    """Apply ``source``'s secret entries above this region's cursor, in order, in one
    transaction with the cursor (a savepoint per entry, so one that fails for good is
    answered ``failed`` and the rest apply); the cursor reached and a result per entry."""
    ordered = sorted(entries, key=lambda e: int(e["seq"]))
    batch = _BatchContext(deps)
    _warm_keys(deps, ordered)
    results: list[dict[str, Any]] = []
    with deps.db.transaction() as tx:
        done = start = tx.realm.applied_seq(source, SECRETS, for_update=True)
        for entry in ordered:
            seq = int(entry["seq"])
            if seq > done:
                results.append(_apply_entry(tx, source, entry, batch))
                done = seq
            else:
                results.append(_applied(entry))
        if done > start:
            tx.realm.set_applied_seq(source, SECRETS, done, deps.clock.now())
    return done, results


def _apply_entry(
    tx: Transaction, source: str, entry: dict[str, Any], batch: _BatchContext
) -> dict[str, Any]:
    """Apply one entry under a savepoint; its result (``failed`` with the reason when it
    cannot apply for good, its writes undone)."""
    seq, secret_id = int(entry["seq"]), str(entry["secretId"])
    if entry.get("skip"):
        return _applied(entry)  # a later entry of its secret carries the state
    try:
        with tx.conn.begin_nested():
            _apply_one(batch, tx, source, seq, entry)
    except ResendWhole as error:
        return {**_failed(seq, secret_id, error.message), "resend": True}
    except (ReplicaRefused, Conflict, InvalidParameter) as error:
        return _failed(seq, secret_id, error.message)
    except (KeyError, TypeError, ValueError) as error:
        return _failed(seq, secret_id, f"The replicated state is malformed: {error}")
    return _applied(entry)


def _applied(entry: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "seq": int(entry["seq"]),
        "secretId": str(entry["secretId"]),
        "status": "applied",
    }
    if "secret" in entry and not entry.get("skip"):
        result["latest"] = int(entry["secret"]["latest"])
    return result


def _failed(seq: int, secret_id: str, message: str) -> dict[str, Any]:
    return {"seq": seq, "secretId": secret_id, "status": "failed", "error": message}


def _warm_keys(deps: Deps, entries: list[dict[str, Any]]) -> None:
    """Load the target keys the batch seals under into the key cache before the write
    transaction: read inside it they would be read again for every entry."""
    wanted = set()
    for entry in entries:
        with contextlib.suppress(KeyError, TypeError):
            wanted.add((str(entry["secret"]["tenancyId"]), str(entry["target"]["keyId"])))
    for tenancy_id, key_id in wanted:
        with contextlib.suppress(StrongroomError):
            load_key_for_service(deps, tenancy_id, key_id, None)


class _BatchContext:
    """What the entries of one batch share, read once: the tenancy's active dynamic groups
    and the target vaults and keys."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._groups: dict[str, list[DynamicGroup]] = {}
        self._targets: dict[tuple[str, str, str], tuple[Vault, Key]] = {}

    def groups(self, tenancy_id: str) -> list[DynamicGroup]:
        if tenancy_id not in self._groups:
            self._groups[tenancy_id] = active_dynamic_groups(self.deps, tenancy_id)
        return self._groups[tenancy_id]

    def target(
        self, tx: Transaction, tenancy_id: str, vault_id: str, key_id: str
    ) -> tuple[Vault, Key]:
        """The target vault and key if they can hold a replica (InvalidParameter if not)."""
        name = (tenancy_id, vault_id, key_id)
        if name not in self._targets:
            found = tx.vaults.get(vault_id), tx.keys.get(key_id)
            now, region = self.deps.clock.now(), self.deps.region
            self._targets[name] = usable_target(*found, tenancy_id, vault_id, key_id, region, now)
        return self._targets[name]


def _apply_one(
    batch: _BatchContext, tx: Transaction, source: str, seq: int, entry: dict[str, Any]
) -> None:
    deps = batch.deps
    secret_id = str(entry["secretId"])
    existing = tx.secrets.get(secret_id)
    if existing is not None and not existing.is_replica:
        raise ReplicaRefused(f"Secret {secret_id} exists in this region and is not a replica")
    if existing is not None and existing.source and existing.source.region != source:
        raise ReplicaRefused(f"Secret {secret_id} here replicates another region's secret")
    if entry.get("skip") or (existing is not None and (existing.replica_seq or 0) >= seq):
        return  # a newer entry of the batch carries the state, or an older state than held
    if entry.get("delete"):
        if existing is not None:
            tx.secrets.delete_replica(secret_id)
        return
    state = dict(entry["secret"])
    target = dict(entry["target"])
    _check_target(batch, tx, state, target)
    replica = _replica(deps, existing, state, target, source, seq)
    tx.secrets.put_replica(replica, existing is not None)
    shipped = [dict(v) for v in entry["versions"]]
    numbers = [int(v["number"]) for v in shipped]
    held = {v.number: v for v in tx.secrets.versions_of(secret_id, numbers)} if existing else {}
    for data in shipped:
        _put_version(deps, tx, replica, data, held.get(int(data["number"])))


def _check_target(
    batch: _BatchContext, tx: Transaction, state: dict[str, Any], target: dict[str, Any]
) -> None:
    """The target vault and key exist, can hold the replica, and the secret may use them."""
    deps = batch.deps
    tenancy, region = str(state["tenancyId"]), deps.region
    vault_id, key_id = str(target["vaultId"]), str(target["keyId"])
    vault, key = batch.target(tx, tenancy, vault_id, key_id)
    principal = resource_principal(
        deps,
        tenancy,
        "vaultsecret",
        str(state["id"]),
        str(state["compartmentId"]),
        dict(state.get("definedTags") or {}),
        batch.groups(tenancy),
    )
    place = Target(tenancy, str(state["compartmentId"]), vault_id=vault.id, secret_id=state["id"])
    needs = (
        ("SECRET_REPLICATE", place),
        ("SECRET_CREATE", place),
        ("VAULT_CREATE_SECRET", vault_target(vault)),
        ("KEY_ENCRYPT", key_target(key)),
        ("KEY_DECRYPT", key_target(key)),
    )
    for permission, where in needs:
        if not deps.authorizer.is_allowed(principal, "ReplicateSecret", (permission,), where):
            raise ReplicaRefused(_missing(principal, permission, region))


def _missing(principal: Principal, permission: str, region: str) -> str:
    return (
        f"Replication of secret {principal.user_id} to {region} lacks the permission "
        f"{permission} there: allow the secret's resource principal (a dynamic group matching "
        "resource.type = 'vaultsecret') to use it"
    )


def _replica(
    deps: Deps,
    existing: Secret | None,
    state: dict[str, Any],
    target: dict[str, Any],
    source: str,
    seq: int,
) -> Secret:
    secret_id = str(state["id"])
    origin = SourceRegion(source, str(state["vaultId"]), str(state["keyId"]))
    fields = {
        "tenancy_id": str(state["tenancyId"]),
        "compartment_id": str(state["compartmentId"]),
        "vault_id": str(target["vaultId"]),
        "key_id": str(target["keyId"]),
        "name": str(state["name"]),
        "lifecycle_state": State(state["lifecycleState"]),
        "time_created": _time(state["timeCreated"]),
        "description": str(state["description"]),
        "current": int(state["current"]),
        "previous": state["previous"],
        "latest": int(state["latest"]),
        "time_of_deletion": _opt_time(state.get("timeOfDeletion")),
        "time_of_current_version_expiry": _opt_time(state.get("timeOfCurrentVersionExpiry")),
        "metadata": dict(state.get("metadata") or {}),
        "rules": rules_from_json(dict(state.get("rules") or {})),
        "generation": generation_from_json(state.get("generation")),
        "auto_generation": bool(state.get("autoGeneration")),
        "rotation": rotation_from_json(state.get("rotation")),
        "last_rotation_time": _opt_time(state.get("lastRotationTime")),
        "next_rotation_time": None,  # the source rotates; its new versions arrive here
        "freeform_tags": dict(state.get("freeformTags") or {}),
        "defined_tags": dict(state.get("definedTags") or {}),
        "version": int(state["version"]),
        "replication": replication_from_json(state.get("replicationConfig")),
        "source": origin,
        "replica_seq": seq,
    }
    if existing is not None:
        return replace(existing, **fields)
    return Secret(id=secret_id, digest_key=new_digest_key(deps, secret_id), **fields)


def _put_version(
    deps: Deps,
    tx: Transaction,
    replica: Secret,
    data: dict[str, Any],
    existing: SecretVersion | None,
) -> None:
    number = int(data["number"])
    content = base64.b64decode(data["content"]) if data.get("content") is not None else None
    has_content = bool(data.get("hasContent", content is not None))
    if existing is None and has_content and content is None:
        raise ResendWhole(f"Version {number} of {replica.id} is missing here")
    if existing is None:
        # A version deleted at the source before it got here is listed without content.
        sealed = seal_content(deps, tx, replica, number, content) if content is not None else None
        version = SecretVersion(
            secret_id=replica.id,
            number=number,
            stage=Stage(data["stage"]),
            lifecycle_state=State(data["lifecycleState"]),
            time_created=_time(data["timeCreated"]),
            digest=digest(deps, replica, content) if content is not None else b"",
            key_version_id=sealed.key_version_id if sealed else "",
            wrapped_key=sealed.wrapped_key if sealed else None,
            content=sealed.content if sealed else None,
            name=data.get("name"),
            auto_generated=bool(data.get("autoGenerated")),
            time_of_deletion=_opt_time(data.get("timeOfDeletion")),
            version=int(data["version"]),
        )
        tx.secrets.put_replica_version(version, exists=False)
        return
    changed = (
        existing.stage.value,
        existing.lifecycle_state.value,
        existing.time_of_deletion,
        existing.name,
        existing.version,
        existing.content is not None,
    ) != (
        data["stage"],
        data["lifecycleState"],
        _opt_time(data.get("timeOfDeletion")),
        data.get("name"),
        int(data["version"]),
        has_content,
    )
    if not changed:
        return
    existing.stage = Stage(data["stage"])
    existing.lifecycle_state = State(data["lifecycleState"])
    existing.time_of_deletion = _opt_time(data.get("timeOfDeletion"))
    existing.name = data.get("name")
    existing.version = int(data["version"])
    if not has_content:
        existing.content = existing.wrapped_key = None
    tx.secrets.put_replica_version(existing, exists=True)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _opt_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
