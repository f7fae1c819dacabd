"""UpdateSecret: metadata, new content (a new version), current version, rules, rotation and
generation settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from strongroom.domain import tags
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.replication import ReplicationConfig
from strongroom.domain.secret import (
    GenerationContext,
    RotationConfig,
    Secret,
    SecretRules,
    check_content,
)
from strongroom.domain.secret_rules import check_rotation, check_rules, next_rotation
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.ports import Deps
from strongroom.services.secrets.generation import check_generation
from strongroom.services.secrets.lookup import (
    VersionRef,
    require_active,
    secret_target,
    version_for,
    writable_secret_for,
)
from strongroom.services.secrets.replica_targets import check_targets
from strongroom.services.secrets.replica_tracking import replicated_regions, track_replication
from strongroom.services.secrets.versions import (
    NewContent,
    add_version,
    make_current,
    refresh_expiry,
)
from strongroom.storage.unit_of_work import Transaction

__all__ = ["SecretChanges", "UpdateSecretRequest", "update_secret"]


@dataclass(frozen=True)
class SecretChanges:
    """UpdateSecret's validated payload; None leaves a field as it is.

    As in OCI, new content, a new current version and new rules cannot be given together.
    """

    description: str | None = None
    metadata: dict[str, Any] | None = None
    freeform_tags: tags.FreeformTags | None = None
    defined_tags: tags.DefinedTags | None = None
    content: NewContent | None = None
    current_version: int | None = None
    rules: SecretRules | None = None
    rotation: RotationConfig | None = None
    generation: GenerationContext | None = None
    auto_generation: bool | None = None
    # A new replication configuration (no targets: every replica is deleted).
    replication: ReplicationConfig | None = None

    def __post_init__(self) -> None:
        exclusive = (self.content, self.current_version, self.rules)
        if sum(value is not None for value in exclusive) > 1:
            raise InvalidParameter(
                "secretContent, currentVersionNumber and secretRules cannot be changed in the "
                "same call; update them one at a time"
            )


@dataclass(frozen=True)
class UpdateSecretRequest:
    """UpdateSecret's input: the secret, the changes to apply, and the etag it must have."""

    secret_id: str
    changes: SecretChanges
    if_match: str | None = None


def update_secret(deps: Deps, call: Call, request: UpdateSecretRequest) -> Secret:
    """Apply the changes to an ACTIVE secret in one transaction (etag-checked, optimistic)."""
    changes = request.changes
    now = deps.clock.now()
    if changes.rules is not None:
        check_rules(changes.rules, now)
    if changes.generation is not None:
        check_generation(changes.generation)
    if changes.content is not None:
        check_content(changes.content.content)
    replication = changes.replication
    if replication is not None:
        check_targets(deps, call, replication)  # asked before anything is stored
    with deps.db.transaction() as tx:
        secret = writable_secret_for(
            deps, tx, call, request.secret_id, "UpdateSecret", replication is not None
        )
        check_etag(secret.id, secret.version, request.if_match)
        require_active(secret)
        regions = set(replicated_regions(secret))
        if replication is not None:
            authorize(deps, call, "UpdateSecret", secret_target(secret), REPLICATE_CONFIGURE)
            secret.replication = replication if replication.targets else None
            regions |= set(replication.regions)
        _apply_fields(secret, changes)
        _apply_generation(secret, changes, now)
        _apply_versions(deps, tx, secret, changes)
        tx.secrets.save(secret)
        if regions:
            track_replication(deps, tx, call, secret, "UPDATE_SECRET", regions)
    return secret


REPLICATE_CONFIGURE = ("SECRET_REPLICATE_CONFIGURE",)


def _apply_fields(secret: Secret, changes: SecretChanges) -> None:
    if changes.description is not None:
        secret.description = changes.description
    if changes.metadata is not None:
        secret.metadata = changes.metadata
    if changes.freeform_tags is not None:
        secret.freeform_tags = changes.freeform_tags
    if changes.defined_tags is not None:
        secret.defined_tags = changes.defined_tags


def _apply_generation(secret: Secret, changes: SecretChanges, now: datetime) -> None:
    if changes.generation is not None:
        secret.generation = changes.generation
    if changes.auto_generation is not None:
        secret.auto_generation = changes.auto_generation
    if secret.auto_generation and secret.generation is None:
        raise InvalidParameter("enableAutoGeneration needs a secretGenerationContext")
    if changes.rotation is not None:
        secret.rotation = changes.rotation
        secret.next_rotation_time = next_rotation(changes.rotation, now)
    check_rotation(secret.rotation, secret.auto_generation)


def _apply_versions(deps: Deps, tx: Transaction, secret: Secret, changes: SecretChanges) -> None:
    if changes.content is not None:
        if secret.auto_generation:
            raise InvalidParameter(
                "This secret's content is generated (enableAutoGeneration); rotate it instead "
                "of giving content"
            )
        add_version(deps, tx, secret, changes.content)
    if changes.current_version is not None:
        version = version_for(deps, tx, secret, VersionRef(number=changes.current_version))
        make_current(tx, secret, version)
    if changes.rules is not None:
        secret.rules = changes.rules
        refresh_expiry(tx, secret)
