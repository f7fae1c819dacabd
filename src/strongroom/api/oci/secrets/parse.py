"""Reading the Vaults and Secrets APIs' shapes: ids, version references, content, rules,
generation and rotation configs, list filters."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import orjson

from strongroom.api.oci import parse
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.ids import require_ocid
from strongroom.domain.replication import ReplicationConfig, ReplicationTarget
from strongroom.domain.secret import (
    MAX_CONTENT,
    ExpiryRule,
    GenerationContext,
    ReuseRule,
    RotationConfig,
    SecretRules,
    Stage,
    check_content,
    secret_name,
)
from strongroom.domain.secret_rules import (
    EXPIRY_INTERVAL_DAYS,
    ROTATION_INTERVAL_DAYS,
    parse_days,
)
from strongroom.services.secrets.lookup import VersionRef
from strongroom.services.secrets.versions import NewContent

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_METADATA",
    "compartment_id",
    "content",
    "current_version",
    "description",
    "generation",
    "list_filters",
    "metadata",
    "new_content",
    "replication",
    "rotation",
    "rules",
    "secret_id",
    "version_number",
    "version_ref",
]

MAX_METADATA = 16 * 1024
MAX_DESCRIPTION = 400
_CURRENT = VersionRef()


def secret_id(value: object) -> str:
    """A secret's OCID (path parameter secretId)."""
    return require_ocid(value, "secretId", "vaultsecret")


def compartment_id(value: object) -> str:
    """compartmentId: a compartment's (or the tenancy's) OCID."""
    return require_ocid(value, "compartmentId", "tenancy", "compartment")


def version_ref(query: Mapping[str, str]) -> VersionRef:
    """versionNumber, secretVersionName or stage (at most one; CURRENT when none)."""
    if not query:
        return _CURRENT
    number = query.get("versionNumber")
    name = query.get("secretVersionName")
    stage = query.get("stage")
    return VersionRef(
        number=None if number is None else version_number(number, "versionNumber"),
        name=None if name is None else secret_name(name, "secretVersionName"),
        stage=None if stage is None else parse.enum(Stage, stage, "stage"),
    )


def content(body: parse.Body) -> tuple[bytes | None, str | None, Stage]:
    """secretContent {contentType BASE64, content, name, stage}: bytes (None if absent)."""
    raw = parse.obj(body, "secretContent", required=False) or {}
    kind = raw.get("contentType", "BASE64")
    if kind != "BASE64":
        raise InvalidParameter("secretContent.contentType must be BASE64")
    name = raw.get("name")
    if name is not None:
        name = secret_name(name, "secretContent.name")
    stage = parse.enum(Stage, raw.get("stage", "CURRENT"), "secretContent.stage")
    return _decode(raw.get("content")), name, stage


def _decode(value: object) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_CONTENT * 2:
        raise InvalidParameter(
            f"secretContent.content must be base64 of at most {MAX_CONTENT} bytes"
        )
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameter("secretContent.content must be valid base64") from None
    return check_content(decoded)


def new_content(body: parse.Body) -> NewContent | None:
    """UpdateSecret's secretContent as a new version, or None when there is none."""
    if body.get("secretContent") is None:
        return None
    data, name, stage = content(body)
    if data is None:
        raise InvalidParameter("secretContent.content is required")
    return NewContent(data, name, stage)


def rules(body: parse.Body) -> SecretRules | None:
    """secretRules: at most one SECRET_EXPIRY_RULE and one SECRET_REUSE_RULE."""
    value = body.get("secretRules")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise InvalidParameter("secretRules must be a list of rule objects")
    found: dict[str, Any] = {}
    for rule in value:
        kind = rule.get("ruleType")
        if not isinstance(kind, str):
            raise InvalidParameter(
                "secretRules[].ruleType must be SECRET_EXPIRY_RULE or SECRET_REUSE_RULE"
            )
        if kind in found:
            raise InvalidParameter(f"secretRules may hold one {kind} only")
        if kind == "SECRET_EXPIRY_RULE":
            found[kind] = _expiry(rule)
        elif kind == "SECRET_REUSE_RULE":
            found[kind] = ReuseRule(parse.boolean(rule, "isEnforcedOnDeletedSecretVersions"))
        else:
            raise InvalidParameter(
                "secretRules[].ruleType must be SECRET_EXPIRY_RULE or SECRET_REUSE_RULE"
            )
    return SecretRules(found.get("SECRET_EXPIRY_RULE"), found.get("SECRET_REUSE_RULE"))


def _expiry(rule: parse.Body) -> ExpiryRule:
    interval = rule.get("secretVersionExpiryInterval")
    low, high = EXPIRY_INTERVAL_DAYS
    return ExpiryRule(
        interval_days=None
        if interval is None
        else parse_days(interval, "secretVersionExpiryInterval", low, high),
        absolute=parse.timestamp(rule, "timeOfAbsoluteExpiry"),
        block_on_expiry=parse.boolean(rule, "isSecretContentRetrievalBlockedOnExpiry"),
    )


def generation(body: parse.Body) -> GenerationContext | None:
    """secretGenerationContext (PASSPHRASE, SSH_KEY or BYTES); checked by the service."""
    raw = parse.obj(body, "secretGenerationContext", required=False)
    if raw is None:
        return None
    length = raw.get("passphraseLength")
    if length is not None and (isinstance(length, bool) or not isinstance(length, int)):
        raise InvalidParameter("passphraseLength must be an integer")
    return GenerationContext(
        generation_type=parse.required_string(raw, "generationType", max_len=32),
        generation_template=parse.required_string(raw, "generationTemplate", max_len=64),
        passphrase_length=length,
        secret_template=parse.string(
            raw, "secretTemplate", required=False, max_len=10_000, free_text=True
        ),
    )


def rotation(body: parse.Body) -> RotationConfig | None:
    """rotationConfig {rotationInterval P1D-P360D, isScheduledRotationEnabled}."""
    raw = parse.obj(body, "rotationConfig", required=False)
    if raw is None:
        return None
    if raw.get("targetSystemDetails") is not None:
        raise InvalidParameter(
            "rotationConfig.targetSystemDetails is not supported: Strongroom rotates generated "
            "secrets only (enableAutoGeneration with a secretGenerationContext)"
        )
    interval = raw.get("rotationInterval")
    low, high = ROTATION_INTERVAL_DAYS
    return RotationConfig(
        interval_days=None
        if interval is None
        else parse_days(interval, "rotationConfig.rotationInterval", low, high),
        scheduled=parse.boolean(raw, "isScheduledRotationEnabled"),
    )


def metadata(body: parse.Body) -> dict[str, Any] | None:
    """metadata: a JSON object of modest size, its strings free text (no other controls)."""
    value = body.get("metadata")
    if value is None:
        return None
    if not isinstance(value, dict) or len(orjson.dumps(value)) > MAX_METADATA:
        raise InvalidParameter(f"metadata must be a JSON object of at most {MAX_METADATA} bytes")
    parse.no_controls_in(value, "metadata", free_text=True)
    return value


def description(body: parse.Body) -> str | None:
    """description: free text (tab, LF and CR allowed) of at most 400 characters."""
    return parse.string(
        body, "description", required=False, max_len=MAX_DESCRIPTION, free_text=True
    )


def current_version(body: parse.Body) -> int | None:
    """UpdateSecret's currentVersionNumber: a positive JSON integer, when given."""
    value = body.get("currentVersionNumber")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameter("currentVersionNumber must be a positive integer")
    return version_number(value, "currentVersionNumber")


def replication(body: parse.Body) -> ReplicationConfig | None:
    """``replicationConfig`` (None when not given): up to 3 targets, each a region with a
    vault and key there, and whether replicas forward writes."""
    value = body.get("replicationConfig")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidParameter("replicationConfig must be an object")
    targets = value.get("replicationTargets")
    if not isinstance(targets, list):
        raise InvalidParameter("replicationConfig.replicationTargets must be a list")
    forward = value.get("isWriteForwardEnabled", False)
    if forward is None:
        forward = False
    if not isinstance(forward, bool):
        raise InvalidParameter("replicationConfig.isWriteForwardEnabled must be a boolean")
    return ReplicationConfig(tuple(_target(t) for t in targets), forward)


def _target(value: object) -> ReplicationTarget:
    where = "replicationConfig.replicationTargets[]"
    if not isinstance(value, dict):
        raise InvalidParameter(f"{where} must be objects")
    region = value.get("targetRegion")
    if not isinstance(region, str) or not region:
        raise InvalidParameter(f"{where}.targetRegion is required")
    vault = require_ocid(value.get("targetVaultId"), f"{where}.targetVaultId", "vault")
    key = require_ocid(value.get("targetKeyId"), f"{where}.targetKeyId", "key")
    return ReplicationTarget(region, vault, key)


def version_number(value: object, name: str = "secretVersionNumber") -> int:
    """A secret version number: a positive integer."""
    text = str(value)
    if not text.isdigit() or not 1 <= int(text) <= 2**31 - 1:
        raise InvalidParameter(f"{name} must be a positive integer")
    return int(text)


def list_filters(query: Mapping[str, str]) -> dict[str, str]:
    """ListSecrets filters: name, vaultId, lifecycleState."""
    filters: dict[str, str] = {}
    if "name" in query:
        filters["name"] = query["name"]
    if "vaultId" in query:
        filters["vault_id"] = query["vaultId"]
    if "lifecycleState" in query:
        filters["lifecycle_state"] = _secret_state(query["lifecycleState"])
    return filters


_SECRET_STATES = (
    "CREATING",
    "ACTIVE",
    "UPDATING",
    "DELETING",
    "DELETED",
    "SCHEDULING_DELETION",
    "PENDING_DELETION",
    "CANCELLING_DELETION",
    "FAILED",
)


def _secret_state(value: str) -> str:
    if value not in _SECRET_STATES:
        raise InvalidParameter(f"lifecycleState must be one of {', '.join(_SECRET_STATES)}")
    return value
