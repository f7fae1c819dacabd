"""Secrets and secret versions: what is stored about them (contents live sealed in versions)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from strongroom.domain.errors import InvalidParameter
from strongroom.domain.lifecycle import State, effective_state
from strongroom.domain.replication import ReplicationConfig, SourceRegion
from strongroom.domain.tags import DefinedTags, FreeformTags

__all__ = [
    "MAX_ACTIVE_VERSIONS",
    "MAX_CONTENT",
    "SECRET_DELETION_DAYS",
    "VERSION_DELETION_DAYS",
    "ExpiryRule",
    "GenerationContext",
    "ReuseRule",
    "RotationConfig",
    "Secret",
    "SecretRules",
    "SecretVersion",
    "Stage",
    "check_content",
    "secret_name",
]

MAX_CONTENT = 25 * 1024  # bytes of decoded content, as OCI
MAX_ACTIVE_VERSIONS = 30
SECRET_DELETION_DAYS = (1, 30)
VERSION_DELETION_DAYS = (1, 30)
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,255}$")


class Stage(StrEnum):
    """Rotation states of a secret version. LATEST is derived (the newest version), not stored."""

    CURRENT = "CURRENT"
    PENDING = "PENDING"
    LATEST = "LATEST"
    PREVIOUS = "PREVIOUS"
    DEPRECATED = "DEPRECATED"


@dataclass(frozen=True)
class ExpiryRule:
    """SECRET_EXPIRY_RULE: versions expire ``interval_days`` after creation, or at ``absolute``."""

    interval_days: int | None = None
    absolute: datetime | None = None
    block_on_expiry: bool = False


@dataclass(frozen=True)
class ReuseRule:
    """SECRET_REUSE_RULE: new content may not repeat an existing (or any, if enforced) version's."""

    include_deleted: bool = False


@dataclass(frozen=True)
class SecretRules:
    """At most one rule of each type."""

    expiry: ExpiryRule | None = None
    reuse: ReuseRule | None = None


@dataclass(frozen=True)
class GenerationContext:
    """How content is generated: PASSPHRASE, SSH_KEY or BYTES with a template of that type."""

    generation_type: str
    generation_template: str
    passphrase_length: int | None = None
    secret_template: str | None = None


@dataclass(frozen=True)
class RotationConfig:
    """Scheduled rotation every ``interval_days`` when ``scheduled``."""

    interval_days: int | None = None
    scheduled: bool = False


@dataclass
class Secret:
    """A secret's metadata; ``digest_key`` (sealed) keys the content digests of its versions.

    ``current``, ``previous`` and ``latest`` are version numbers, kept here so a read by stage
    needs no search through the versions. ``version`` increases on every change (etag).
    """

    id: str
    tenancy_id: str
    compartment_id: str
    vault_id: str
    key_id: str
    name: str
    lifecycle_state: State
    time_created: datetime
    digest_key: bytes
    description: str = ""
    current: int = 1
    previous: int | None = None
    latest: int = 1
    time_of_deletion: datetime | None = None
    time_of_current_version_expiry: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    freeform_tags: FreeformTags = field(default_factory=dict)
    defined_tags: DefinedTags = field(default_factory=dict)
    rules: SecretRules = field(default_factory=SecretRules)
    generation: GenerationContext | None = None
    auto_generation: bool = False
    rotation: RotationConfig | None = None
    last_rotation_time: datetime | None = None
    next_rotation_time: datetime | None = None
    version: int = 1
    # Cross-region replication: a source's targets, or, for a replica, where its source is.
    replication: ReplicationConfig | None = None
    source: SourceRegion | None = None
    # (A replica) the replication sequence number of the source state it holds.
    replica_seq: int | None = None

    @property
    def is_replica(self) -> bool:
        return self.source is not None

    def state_at(self, now: datetime) -> State:
        """The state as seen at ``now`` (scheduled deletions take effect on time)."""
        return effective_state(self.lifecycle_state, self.time_of_deletion, now)

    @property
    def rotation_status(self) -> str:
        """OCI's rotationStatus: SCHEDULED while scheduled rotation is on, else NOT_ENABLED."""
        scheduled = self.rotation is not None and self.rotation.scheduled
        return "SCHEDULED" if scheduled else "NOT_ENABLED"


@dataclass
class SecretVersion:
    """One version's content, sealed: ``content`` under a data key, that key wrapped by a
    version of the vault key (``key_version_id``). ``digest`` is a keyed digest of the
    plaintext for the reuse rule; it outlives the content when the version is deleted."""

    secret_id: str
    number: int
    stage: Stage
    lifecycle_state: State
    time_created: datetime
    digest: bytes
    key_version_id: str
    wrapped_key: bytes | None
    content: bytes | None
    name: str | None = None
    auto_generated: bool = False
    time_of_deletion: datetime | None = None
    version: int = 1

    @property
    def identity(self) -> str:
        """The row identity bound into the content's and data key's associated data."""
        return f"secret_versions/{self.secret_id}/{self.number}"

    @property
    def resource_name(self) -> str:
        """What names the version where one id is needed (its etag)."""
        return f"{self.secret_id}/versions/{self.number}"

    def state_at(self, now: datetime) -> State:
        """ACTIVE, PENDING_DELETION, or DELETED once its deletion time has come."""
        return effective_state(self.lifecycle_state, self.time_of_deletion, now)


def secret_name(value: object, field: str = "secretName") -> str:
    """Letters, digits, hyphens, underscores and periods; 1 to 255 characters."""
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise InvalidParameter(
            f"{field} must be 1 to 255 letters, digits, hyphens, underscores or periods"
        )
    return value


def check_content(content: bytes) -> bytes:
    """Secret content is at most 25 KB once decoded, and not empty."""
    if not content:
        raise InvalidParameter("secretContent.content must not be empty")
    if len(content) > MAX_CONTENT:
        raise InvalidParameter(f"secretContent.content must decode to at most {MAX_CONTENT} bytes")
    return content
