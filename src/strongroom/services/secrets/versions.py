"""Secret versions: adding one (reuse rule, limit, sealing, stages), promoting one, reading them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from strongroom.domain.errors import Conflict, IncorrectState, InvalidParameter, LimitExceeded
from strongroom.domain.lifecycle import State
from strongroom.domain.paging import Page, PageRequest, cut
from strongroom.domain.secret import MAX_ACTIVE_VERSIONS, Secret, SecretVersion, Stage
from strongroom.domain.secret_rules import needs_pruning, promote, version_expiry
from strongroom.services.context import Call
from strongroom.services.ports import Deps
from strongroom.services.secrets.envelope import digest, seal_content
from strongroom.services.secrets.lookup import VersionRef, secret_for, version_as_of, version_for
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "GetSecretVersionRequest",
    "ListSecretVersionsRequest",
    "NewContent",
    "SecretVersionResult",
    "SecretVersionsPage",
    "add_version",
    "get_secret_version",
    "list_secret_versions",
    "make_current",
    "refresh_expiry",
    "versions_page",
]


@dataclass(frozen=True)
class NewContent:
    """Content for a new version, its optional name and stage (CURRENT or PENDING)."""

    content: bytes
    name: str | None = None
    stage: Stage = Stage.CURRENT
    auto_generated: bool = False

    def __post_init__(self) -> None:
        if self.stage not in (Stage.CURRENT, Stage.PENDING):
            raise InvalidParameter("secretContent.stage must be CURRENT or PENDING")


def add_version(deps: Deps, tx: Transaction, secret: Secret, new: NewContent) -> SecretVersion:
    """Append version ``latest + 1``; the caller saves ``secret`` (its pointers change here).

    A CURRENT version moves the old CURRENT to PREVIOUS and the old PREVIOUS to DEPRECATED.
    """
    now = deps.clock.now()
    fingerprint = digest(deps, secret, new.content)
    _check_reuse(tx, secret, fingerprint, now)
    if new.name is not None and tx.secrets.version_by_name(secret.id, new.name) is not None:
        raise Conflict(f"This secret already has a version named {new.name!r}")
    _make_room(tx, secret, now)
    number = secret.latest + 1
    sealed = seal_content(deps, tx, secret, number, new.content)
    version = SecretVersion(
        secret_id=secret.id,
        number=number,
        stage=new.stage,
        lifecycle_state=State.ACTIVE,
        time_created=now,
        digest=fingerprint,
        key_version_id=sealed.key_version_id,
        wrapped_key=sealed.wrapped_key,
        content=sealed.content,
        name=new.name,
        auto_generated=new.auto_generated,
    )
    tx.secrets.add_version(version)
    secret.latest = number
    if new.stage is Stage.CURRENT:
        make_current(tx, secret, version)
    return version


def make_current(tx: Transaction, secret: Secret, version: SecretVersion) -> None:
    """Promote ``version`` (effective state) to CURRENT, moving the others' stages along."""
    if version.lifecycle_state is not State.ACTIVE:
        raise IncorrectState(
            f"Secret version {version.number} is {version.lifecycle_state.value}; "
            "it cannot become CURRENT"
        )
    promotion = promote(secret.current or None, secret.previous, version.number)
    for number, stage in promotion.changes.items():
        other = version if number == version.number else tx.secrets.get_version(secret.id, number)
        if other is not None and other.stage is not stage:  # a new version is CURRENT already
            other.stage = stage
            tx.secrets.save_version(other)
    secret.current, secret.previous = promotion.current, promotion.previous
    secret.time_of_current_version_expiry = version_expiry(
        version.time_created, secret.rules.expiry
    )


def refresh_expiry(tx: Transaction, secret: Secret) -> None:
    """Recompute the current version's expiry after the rules changed."""
    current = tx.secrets.get_version(secret.id, secret.current)
    created = current.time_created if current else secret.time_created
    secret.time_of_current_version_expiry = version_expiry(created, secret.rules.expiry)


def _check_reuse(tx: Transaction, secret: Secret, fingerprint: bytes, now: datetime) -> None:
    rule = secret.rules.reuse
    if rule is None:
        return
    if tx.secrets.digest_used(secret.id, fingerprint, rule.include_deleted, now):
        raise InvalidParameter(
            "This content was already used by a version of this secret, and the secret's "
            "reuse rule forbids reusing it"
        )


def _make_room(tx: Transaction, secret: Secret, now: datetime) -> None:
    """At the limit, delete the oldest DEPRECATED version (content destroyed, digest kept)."""
    if not needs_pruning(tx.secrets.count_active_versions(secret.id)):
        return
    victim = tx.secrets.oldest_deprecated(secret.id)
    if victim is None:
        raise LimitExceeded(
            f"A secret may have at most {MAX_ACTIVE_VERSIONS} versions in use, and none of "
            "this secret's is DEPRECATED to make room"
        )
    victim.lifecycle_state = State.DELETED
    victim.time_of_deletion = now
    victim.content = victim.wrapped_key = None
    tx.secrets.save_version(victim)


@dataclass(frozen=True)
class SecretVersionResult:
    """A version and its secret (the version's stages and expiry depend on the secret)."""

    secret: Secret
    version: SecretVersion


@dataclass(frozen=True)
class SecretVersionsPage:
    """One window of a secret's versions, and the secret."""

    secret: Secret
    page: Page[SecretVersion]


@dataclass(frozen=True)
class ListSecretVersionsRequest:
    """ListSecretVersions' input."""

    secret_id: str
    page: PageRequest


@dataclass(frozen=True)
class GetSecretVersionRequest:
    """GetSecretVersion's input."""

    secret_id: str
    version_number: int


def list_secret_versions(
    deps: Deps, call: Call, request: ListSecretVersionsRequest
) -> SecretVersionsPage:
    """ListSecretVersions (also the basis of ListSecretBundleVersions)."""
    return versions_page(deps, call, request.secret_id, request.page, "ListSecretVersions")


def versions_page(
    deps: Deps, call: Call, secret_id: str, page: PageRequest, operation: str
) -> SecretVersionsPage:
    """One window of a secret's versions, authorized for ``operation``."""
    with deps.db.transaction(read_only=True) as tx:
        secret = secret_for(deps, tx, call, secret_id, operation)
        found = tx.secrets.list_versions(secret.id, page)
    now = deps.clock.now()
    return SecretVersionsPage(secret, cut([version_as_of(v, secret, now) for v in found], page))


def get_secret_version(
    deps: Deps, call: Call, request: GetSecretVersionRequest
) -> SecretVersionResult:
    """GetSecretVersion: a version's metadata (never its content)."""
    ref = VersionRef(number=request.version_number)
    with deps.db.transaction(read_only=True) as tx:
        secret = secret_for(deps, tx, call, request.secret_id, "GetSecretVersion")
        return SecretVersionResult(secret, version_for(deps, tx, secret, ref))
