"""Secrets to the JSON shapes of the ``oci`` SDK's vault and secrets models."""

from __future__ import annotations

from typing import Any

from strongroom.api.oci.render import b64, rfc3339
from strongroom.domain.replication import ReplicationConfig, SourceRegion
from strongroom.domain.secret import GenerationContext, Secret, SecretRules, SecretVersion
from strongroom.domain.secret_rules import days_text, stages_of, version_expiry
from strongroom.services.etags import etag_of
from strongroom.services.secrets.bundles import Bundle

__all__ = [
    "bundle",
    "bundle_version_summary",
    "generation",
    "replication_config",
    "rules",
    "secret",
    "secret_etag",
    "secret_summary",
    "source_region",
    "version",
    "version_etag",
    "version_summary",
]


def secret_etag(secret: Secret) -> str:
    return etag_of(secret.id, secret.version)


def version_etag(version: SecretVersion) -> str:
    return etag_of(version.resource_name, version.version)


def rules(value: SecretRules) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    if value.expiry is not None:
        shown.append(
            {
                "ruleType": "SECRET_EXPIRY_RULE",
                "secretVersionExpiryInterval": days_text(value.expiry.interval_days),
                "timeOfAbsoluteExpiry": rfc3339(value.expiry.absolute),
                "isSecretContentRetrievalBlockedOnExpiry": value.expiry.block_on_expiry,
            }
        )
    if value.reuse is not None:
        shown.append(
            {
                "ruleType": "SECRET_REUSE_RULE",
                "isEnforcedOnDeletedSecretVersions": value.reuse.include_deleted,
            }
        )
    return shown


def generation(context: GenerationContext | None) -> dict[str, Any] | None:
    if context is None:
        return None
    shown: dict[str, Any] = {
        "generationType": context.generation_type,
        "generationTemplate": context.generation_template,
    }
    if context.passphrase_length is not None:
        shown["passphraseLength"] = context.passphrase_length
    if context.secret_template is not None:
        shown["secretTemplate"] = context.secret_template
    return shown


def replication_config(config: ReplicationConfig | None) -> dict[str, Any] | None:
    """OCI's ReplicationConfig."""
    if config is None:
        return None
    targets = [
        {"targetRegion": t.region, "targetVaultId": t.vault_id, "targetKeyId": t.key_id}
        for t in config.targets
    ]
    return {"replicationTargets": targets, "isWriteForwardEnabled": config.write_forward}


def source_region(source: SourceRegion | None) -> dict[str, Any] | None:
    """OCI's SourceRegionInformation of a replica."""
    if source is None:
        return None
    return {
        "sourceRegion": source.region,
        "sourceVaultId": source.vault_id,
        "sourceKeyId": source.key_id,
    }


def secret_summary(secret: Secret) -> dict[str, Any]:
    rotation = secret.rotation
    return {
        "id": secret.id,
        "compartmentId": secret.compartment_id,
        "vaultId": secret.vault_id,
        "keyId": secret.key_id,
        "secretName": secret.name,
        "description": secret.description,
        "lifecycleState": secret.lifecycle_state.value,
        "timeCreated": rfc3339(secret.time_created),
        "timeOfDeletion": rfc3339(secret.time_of_deletion),
        "timeOfCurrentVersionExpiry": rfc3339(secret.time_of_current_version_expiry),
        "freeformTags": secret.freeform_tags,
        "definedTags": secret.defined_tags,
        "systemTags": {},
        "isReplica": secret.is_replica,
        "replicationConfig": replication_config(secret.replication),
        "sourceRegionInformation": source_region(secret.source),
        "rotationConfig": None
        if rotation is None
        else {
            "rotationInterval": days_text(rotation.interval_days),
            "isScheduledRotationEnabled": rotation.scheduled,
        },
        "rotationStatus": secret.rotation_status,
        "lastRotationTime": rfc3339(secret.last_rotation_time),
        "nextRotationTime": rfc3339(secret.next_rotation_time),
        "secretGenerationContext": generation(secret.generation),
        "isAutoGenerationEnabled": secret.auto_generation,
    }


def secret(value: Secret) -> dict[str, Any]:
    shown = secret_summary(value)
    del shown["systemTags"]
    return {
        **shown,
        "currentVersionNumber": value.current,
        "metadata": value.metadata,
        "secretRules": rules(value.rules),
    }


def _version_common(version: SecretVersion, secret: Secret) -> dict[str, Any]:
    return {
        "secretId": version.secret_id,
        "versionNumber": version.number,
        "stages": stages_of(version, secret.latest),
        "timeCreated": rfc3339(version.time_created),
        "timeOfDeletion": rfc3339(version.time_of_deletion),
    }


def _expiry(version: SecretVersion, secret: Secret) -> str | None:
    return rfc3339(version_expiry(version.time_created, secret.rules.expiry))


def version_summary(version: SecretVersion, secret: Secret) -> dict[str, Any]:
    return {
        **_version_common(version, secret),
        "contentType": "BASE64",
        "name": version.name,
        "timeOfExpiry": _expiry(version, secret),
        "isContentAutoGenerated": version.auto_generated,
        "systemTags": {},
    }


def version(value: SecretVersion, secret: Secret) -> dict[str, Any]:
    shown = version_summary(value, secret)
    del shown["systemTags"]
    shown["timeOfCurrentVersionExpiry"] = shown.pop("timeOfExpiry")
    return shown


def bundle_version_summary(version: SecretVersion, secret: Secret) -> dict[str, Any]:
    return {
        **_version_common(version, secret),
        "versionName": version.name,
        "timeOfExpiry": _expiry(version, secret),
    }


def bundle(value: Bundle) -> dict[str, Any]:
    # bundle_version_summary's fields, written out: this renders every GetSecretBundle.
    version, secret = value.version, value.secret
    return {
        "secretId": version.secret_id,
        "versionNumber": version.number,
        "stages": stages_of(version, secret.latest),
        "timeCreated": rfc3339(version.time_created),
        "timeOfDeletion": rfc3339(version.time_of_deletion),
        "versionName": version.name,
        "timeOfExpiry": _expiry(version, secret),
        "secretBundleContent": {"contentType": "BASE64", "content": b64(value.content)},
        "metadata": secret.metadata,
    }
