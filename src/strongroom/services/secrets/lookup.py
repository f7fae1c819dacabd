"""Loading secrets and their versions for a call: tenancy, authorization, effective states."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime

from strongroom.domain.errors import IncorrectState, InvalidParameter, NotFound, WriteElsewhere
from strongroom.domain.lifecycle import State
from strongroom.domain.secret import Secret, SecretVersion, Stage
from strongroom.iam.target import Target
from strongroom.services.authz import authorize
from strongroom.services.caches import complete
from strongroom.services.context import Call
from strongroom.services.lookup import NOT_FOUND
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "NEVER_FORWARDED",
    "ReadRows",
    "VersionRef",
    "find_version",
    "read_rows",
    "require_active",
    "secret_as_of",
    "secret_for",
    "secret_target",
    "version_as_of",
    "version_for",
    "version_of",
    "visible_secret",
    "writable_secret_for",
]


@dataclass(frozen=True)
class VersionRef:
    """Which version a read names: by number, by version name, or by stage (CURRENT if none)."""

    number: int | None = None
    name: str | None = None
    stage: Stage | None = None

    def __post_init__(self) -> None:
        given = [v for v in (self.number, self.name, self.stage) if v is not None]
        if len(given) > 1:
            raise InvalidParameter("Give at most one of versionNumber, secretVersionName, stage")


def secret_target(secret: Secret) -> Target:
    """The policy target of a secret."""
    return Target(
        secret.tenancy_id,
        secret.compartment_id,
        vault_id=secret.vault_id,
        secret_id=secret.id,
        secret_name=secret.name,
    )


def secret_as_of(secret: Secret, now: datetime) -> Secret:
    """The secret with its scheduled deletion applied."""
    state = secret.state_at(now)
    return secret if state is secret.lifecycle_state else replace(secret, lifecycle_state=state)


def version_as_of(version: SecretVersion, secret: Secret, now: datetime) -> SecretVersion:
    """The version with its own and its secret's deletion applied (``secret`` effective)."""
    state = State.DELETED if secret.lifecycle_state is State.DELETED else version.state_at(now)
    return version if state is version.lifecycle_state else replace(version, lifecycle_state=state)


def visible_secret(
    deps: Deps,
    call: Call,
    secret: Secret | None,
    operation: str,
    permissions: tuple[str, ...] | None = None,
) -> Secret:
    """An authorized secret of the caller's tenancy, with its state as of now."""
    if secret is None or secret.tenancy_id != call.principal.tenancy_id:
        raise NotFound(NOT_FOUND)
    authorize(deps, call, operation, secret_target(secret), permissions)
    return secret_as_of(secret, deps.clock.now())


def secret_for(deps: Deps, tx: Transaction, call: Call, secret_id: str, operation: str) -> Secret:
    """Load an authorized secret."""
    return visible_secret(deps, call, tx.secrets.get(secret_id), operation)


# Writes a replica never forwards to its source (as in OCI).
NEVER_FORWARDED = frozenset({"ScheduleSecretDeletion", "CancelSecretDeletion"})


def writable_secret_for(
    deps: Deps,
    tx: Transaction,
    call: Call,
    secret_id: str,
    operation: str,
    changes_replication: bool = False,
) -> Secret:
    """Load an authorized secret that ``operation`` may change here: a source secret. A
    replica refuses (IncorrectState naming its source region) or, when its source forwards
    writes, raises WriteElsewhere (the transport forwards the call to the source)."""
    secret = secret_for(deps, tx, call, secret_id, operation)
    if secret.source is None:
        return secret
    region = secret.source.region
    forwards = secret.replication is not None and secret.replication.write_forward
    if operation in NEVER_FORWARDED or changes_replication or not forwards:
        raise IncorrectState(
            f"Secret {secret.id} is a read-only replica of the secret in region {region}: "
            f"make this change in {region}"
        )
    if call.forwarded_from is not None:
        raise IncorrectState("A forwarded write reached a replica; it is applied at the source")
    raise WriteElsewhere(region, (secret.tenancy_id, secret.compartment_id, secret.id, "secret"))


def require_active(secret: Secret) -> None:
    """Changes and reads of content need an ACTIVE secret."""
    if secret.lifecycle_state is not State.ACTIVE:
        raise IncorrectState(
            f"The secret is {secret.lifecycle_state.value}; this operation needs an ACTIVE secret"
        )


def version_for(deps: Deps, tx: Transaction, secret: Secret, ref: VersionRef) -> SecretVersion:
    """The version ``ref`` names, with its effective state; NotFound when there is none."""
    return version_of(deps, secret, find_version(tx, secret, ref))


def version_of(deps: Deps, secret: Secret, found: SecretVersion | None) -> SecretVersion:
    """:func:`version_for`'s checks on a loaded version row (``secret`` effective)."""
    if found is None:
        raise NotFound(NOT_FOUND)
    return version_as_of(found, secret, deps.clock.now())


ReadRows = tuple[Secret | None, SecretVersion | None]


def read_rows(
    deps: Deps,
    name: Hashable,
    find_secret: Callable[[Transaction], Secret | None],
    ref: VersionRef,
) -> ReadRows:
    """A stored secret and the version ``ref`` names in it, as loaded, unchecked.

    For reads of content: cached briefly in ``deps.secrets_in_use`` under ``name`` (which must
    say how ``find_secret`` finds the secret, and include ``ref``). Every write to secrets or
    their versions in this process clears the cache at once; other processes' writes are seen
    within its TTL. Incomplete results (something missing) are not cached. Callers check
    tenancy, authorization and states every time (:func:`visible_secret`, :func:`version_of`),
    and must not change the rows: they are shared.
    """

    def load() -> ReadRows:
        version = None
        with deps.db.transaction(read_only=True) as tx:
            secret = find_secret(tx)
            if secret is not None:
                version = find_version(tx, secret, ref)
        return secret, version

    rows: ReadRows = deps.secrets_in_use.fetch(name, load, complete)
    return rows


def find_version(tx: Transaction, secret: Secret, ref: VersionRef) -> SecretVersion | None:
    """The stored version ``ref`` names (``secret`` as stored or effective: the same pointers)."""
    if ref.number is not None:
        return tx.secrets.get_version(secret.id, ref.number)
    if ref.name is not None:
        return tx.secrets.version_by_name(secret.id, ref.name)
    pointers = {Stage.CURRENT: secret.current, Stage.LATEST: secret.latest}
    pointers[Stage.PREVIOUS] = secret.previous or 0
    stage = ref.stage or Stage.CURRENT
    if stage in pointers:
        return tx.secrets.get_version(secret.id, pointers[stage]) if pointers[stage] else None
    return tx.secrets.version_by_stage(secret.id, stage)
