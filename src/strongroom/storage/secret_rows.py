"""Mapping between secret rows and domain objects (rules and configs are stored as JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from strongroom.domain.lifecycle import State
from strongroom.domain.replication import ReplicationConfig, ReplicationTarget, SourceRegion
from strongroom.domain.secret import (
    ExpiryRule,
    GenerationContext,
    ReuseRule,
    RotationConfig,
    Secret,
    SecretRules,
    SecretVersion,
    Stage,
)


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def rules_to_json(rules: SecretRules) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    if rules.expiry is not None:
        absolute = rules.expiry.absolute
        stored["expiry"] = {
            "intervalDays": rules.expiry.interval_days,
            "absolute": absolute.isoformat() if absolute else None,
            "block": rules.expiry.block_on_expiry,
        }
    if rules.reuse is not None:
        stored["reuse"] = {"includeDeleted": rules.reuse.include_deleted}
    return stored


def rules_from_json(stored: dict[str, Any]) -> SecretRules:
    expiry = stored.get("expiry")
    reuse = stored.get("reuse")
    return SecretRules(
        expiry=ExpiryRule(expiry["intervalDays"], _time(expiry["absolute"]), expiry["block"])
        if expiry
        else None,
        reuse=ReuseRule(reuse["includeDeleted"]) if reuse else None,
    )


def generation_to_json(context: GenerationContext | None) -> dict[str, Any] | None:
    if context is None:
        return None
    return {
        "type": context.generation_type,
        "template": context.generation_template,
        "length": context.passphrase_length,
        "secretTemplate": context.secret_template,
    }


def generation_from_json(stored: dict[str, Any] | None) -> GenerationContext | None:
    if stored is None:
        return None
    return GenerationContext(
        stored["type"], stored["template"], stored["length"], stored["secretTemplate"]
    )


def rotation_to_json(config: RotationConfig | None) -> dict[str, Any] | None:
    if config is None:
        return None
    return {"intervalDays": config.interval_days, "scheduled": config.scheduled}


def rotation_from_json(stored: dict[str, Any] | None) -> RotationConfig | None:
    if stored is None:
        return None
    return RotationConfig(stored["intervalDays"], stored["scheduled"])


def secret_to_row(secret: Secret) -> dict[str, Any]:
    live = secret.lifecycle_state is not State.DELETED
    return {
        "id": secret.id,
        "tenancy_id": secret.tenancy_id,
        "compartment_id": secret.compartment_id,
        "vault_id": secret.vault_id,
        "key_id": secret.key_id,
        "name": secret.name,
        "live_name": secret.name if live else None,
        "description": secret.description,
        "lifecycle_state": secret.lifecycle_state.value,
        "time_created": secret.time_created,
        "time_of_deletion": secret.time_of_deletion,
        "current_version": secret.current,
        "previous_version": secret.previous,
        "latest_version": secret.latest,
        "time_of_current_version_expiry": secret.time_of_current_version_expiry,
        "secret_metadata": secret.metadata,
        "freeform_tags": secret.freeform_tags,
        "defined_tags": secret.defined_tags,
        "rules": rules_to_json(secret.rules),
        "generation": generation_to_json(secret.generation),
        "auto_generation": secret.auto_generation,
        "rotation": rotation_to_json(secret.rotation),
        "last_rotation_time": secret.last_rotation_time,
        "next_rotation_time": secret.next_rotation_time,
        "digest_key": secret.digest_key,
        "version": secret.version,
        "replication_config": replication_to_json(secret.replication),
        "source_region": _source_to_json(secret.source),
        "replica_seq": secret.replica_seq,
    }


def replication_to_json(config: ReplicationConfig | None) -> dict[str, Any] | None:
    if config is None:
        return None
    targets = [
        {"targetRegion": t.region, "targetVaultId": t.vault_id, "targetKeyId": t.key_id}
        for t in config.targets
    ]
    return {"replicationTargets": targets, "isWriteForwardEnabled": config.write_forward}


def replication_from_json(stored: dict[str, Any] | None) -> ReplicationConfig | None:
    if stored is None:
        return None
    targets = tuple(
        ReplicationTarget(t["targetRegion"], t["targetVaultId"], t["targetKeyId"])
        for t in stored["replicationTargets"]
    )
    return ReplicationConfig(targets, bool(stored["isWriteForwardEnabled"]))


def _source_to_json(source: SourceRegion | None) -> dict[str, Any] | None:
    if source is None:
        return None
    return {"region": source.region, "vaultId": source.vault_id, "keyId": source.key_id}


def _source_from_json(stored: dict[str, Any] | None) -> SourceRegion | None:
    if stored is None:
        return None
    return SourceRegion(stored["region"], stored["vaultId"], stored["keyId"])


def secret_from_row(row: Any) -> Secret:
    return Secret(
        id=row.id,
        tenancy_id=row.tenancy_id,
        compartment_id=row.compartment_id,
        vault_id=row.vault_id,
        key_id=row.key_id,
        name=row.name,
        lifecycle_state=State(row.lifecycle_state),
        time_created=row.time_created,
        digest_key=bytes(row.digest_key),
        description=row.description,
        current=row.current_version,
        previous=row.previous_version,
        latest=row.latest_version,
        time_of_deletion=row.time_of_deletion,
        time_of_current_version_expiry=row.time_of_current_version_expiry,
        metadata=dict(row.secret_metadata),
        freeform_tags=dict(row.freeform_tags),
        defined_tags=dict(row.defined_tags),
        rules=rules_from_json(row.rules),
        generation=generation_from_json(row.generation),
        auto_generation=bool(row.auto_generation),
        rotation=rotation_from_json(row.rotation),
        last_rotation_time=row.last_rotation_time,
        next_rotation_time=row.next_rotation_time,
        version=row.version,
        replication=replication_from_json(row.replication_config),
        source=_source_from_json(row.source_region),
        replica_seq=row.replica_seq,
    )


def version_to_row(version: SecretVersion) -> dict[str, Any]:
    return {
        "secret_id": version.secret_id,
        "number": version.number,
        "name": version.name,
        "stage": version.stage.value,
        "lifecycle_state": version.lifecycle_state.value,
        "time_created": version.time_created,
        "time_of_deletion": version.time_of_deletion,
        "auto_generated": version.auto_generated,
        "key_version_id": version.key_version_id,
        "wrapped_key": version.wrapped_key,
        "content": version.content,
        "digest": version.digest,
        "version": version.version,
    }


def version_from_row(row: Any) -> SecretVersion:
    return SecretVersion(
        secret_id=row.secret_id,
        number=row.number,
        stage=Stage(row.stage),
        lifecycle_state=State(row.lifecycle_state),
        time_created=row.time_created,
        digest=bytes(row.digest),
        key_version_id=row.key_version_id,
        wrapped_key=None if row.wrapped_key is None else bytes(row.wrapped_key),
        content=None if row.content is None else bytes(row.content),
        name=row.name,
        auto_generated=bool(row.auto_generated),
        time_of_deletion=row.time_of_deletion,
        version=row.version,
    )
