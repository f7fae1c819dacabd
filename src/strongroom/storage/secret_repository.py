"""Secret and secret-version rows within one transaction.

Every read of one version goes through an index: (secret_id, number) or
(secret_id, stage, number); nothing here scans or returns all versions of a secret except
the paged listing. Writes are noted in ``touched`` (see :class:`~.unit_of_work.Transaction`).
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from strongroom.domain.errors import Conflict
from strongroom.domain.lifecycle import State
from strongroom.domain.paging import PageRequest
from strongroom.domain.secret import Secret, SecretVersion, Stage
from strongroom.storage import schema
from strongroom.storage.changes import Changes
from strongroom.storage.paging import apply_page
from strongroom.storage.repositories import update_versioned
from strongroom.storage.secret_rows import (
    secret_from_row,
    secret_to_row,
    version_from_row,
    version_to_row,
)

S = schema.secrets
V = schema.secret_versions


def version_key(secret_id: str, number: int) -> str:
    """How a version's row is named among a transaction's changes."""
    return f"{secret_id}/{number}"


_PENDING = State.PENDING_DELETION.value
_DELETED = State.DELETED.value
_DESTROYED = {"content": None, "wrapped_key": None}
SECRETS = "secrets"
VERSIONS = "secret_versions"


# Statements built once (building one costs several times what running it does), run with
# their parameters; the where-clause parameters are prefixed so they never name a column.
_GET = select(S).where(S.c.id == bindparam("w_id"))
_INSERT_SECRET = insert(S)
_UPDATE_SECRET = update(S).where(S.c.id == bindparam("w_id"))
_INSERT_VERSION = insert(V)
_UPDATE_VERSION = update(V).where(
    V.c.secret_id == bindparam("w_secret_id"), V.c.number == bindparam("w_number")
)
_VERSIONS_NUMBERED = (
    select(V)
    .where(V.c.secret_id == bindparam("w_secret_id"))
    .where(V.c.number.in_(bindparam("w_numbers", expanding=True)))
    .order_by(V.c.number)
)
_VERSIONS_OF_MANY = select(V).where(V.c.secret_id.in_(bindparam("w_ids", expanding=True)))
_VERSIONS_ABOVE = _VERSIONS_OF_MANY.where(V.c.number > bindparam("w_after"))
_VERSIONS_CHANGED = _VERSIONS_OF_MANY.where(V.c.change_seq > bindparam("w_since"))


def _state_is(table: Any, state: str, now: datetime) -> Any:
    """SQL for "the effective state is ``state``" (scheduled deletions take effect on time)."""
    due = and_(table.c.lifecycle_state == _PENDING, table.c.time_of_deletion <= now)
    if state == _DELETED:
        return or_(table.c.lifecycle_state == _DELETED, due)
    if state == _PENDING:
        return and_(table.c.lifecycle_state == _PENDING, table.c.time_of_deletion > now)
    return table.c.lifecycle_state == state


class SecretRepository:
    """Secrets and their versions."""

    def __init__(self, conn: Connection, touched: Changes | None = None) -> None:
        self._conn = conn
        self._touched = Changes() if touched is None else touched

    # secrets ---------------------------------------------------------------------------------
    def add(self, secret: Secret) -> None:
        """Insert; Conflict when a live secret of the vault has the same name."""
        self._touched.row(SECRETS, secret.id)
        try:
            self._conn.execute(insert(S).values(secret_to_row(secret)))
        except IntegrityError:
            raise Conflict(f"A secret named {secret.name!r} already exists in this vault") from None

    def get(self, secret_id: str) -> Secret | None:
        row = self._conn.execute(_GET, {"w_id": secret_id}).first()
        return secret_from_row(row) if row else None

    def get_by_name(self, vault_id: str, name: str) -> Secret | None:
        """The secret holding ``name`` in the vault (not deleted, as of its last write)."""
        query = select(S).where(S.c.vault_id == vault_id, S.c.live_name == name)
        row = self._conn.execute(query).first()
        return secret_from_row(row) if row else None

    def save(self, secret: Secret) -> None:
        """Persist changes; Conflict on a concurrent change. Bumps ``secret.version``."""
        self._touched.row(SECRETS, secret.id)
        update_versioned(self._conn, S, secret_to_row(secret), secret.version)
        secret.version += 1

    def release_name(self, vault_id: str, name: str, now: datetime) -> None:
        """Free ``name`` when the secret holding it has been deleted by now."""
        result = self._conn.execute(
            update(S)
            .where(S.c.vault_id == vault_id, S.c.live_name == name, _state_is(S, _DELETED, now))
            .values(live_name=None, lifecycle_state=_DELETED, version=S.c.version + 1)
        )
        self._note(SECRETS, result.rowcount)

    def list(
        self,
        tenancy_id: str,
        compartment_id: str,
        page: PageRequest,
        filters: dict[str, str],
        now: datetime,
    ) -> builtins.list[Secret]:
        """Secrets of a compartment; ``filters`` may hold name, vault_id and lifecycle_state."""
        query = select(S).where(S.c.tenancy_id == tenancy_id, S.c.compartment_id == compartment_id)
        if "name" in filters:
            query = query.where(S.c.name == filters["name"])
        if "vault_id" in filters:
            query = query.where(S.c.vault_id == filters["vault_id"])
        if "lifecycle_state" in filters:
            query = query.where(_state_is(S, filters["lifecycle_state"], now))
        return [secret_from_row(r) for r in self._conn.execute(apply_page(query, S, page))]

    def due_for_rotation(self, now: datetime, limit: int) -> builtins.list[str]:
        """Ids of ACTIVE secrets whose next rotation time has come, soonest first."""
        query = (
            select(S.c.id)
            .where(S.c.next_rotation_time <= now, S.c.lifecycle_state == State.ACTIVE.value)
            .order_by(S.c.next_rotation_time)
            .limit(limit)
        )
        return [row.id for row in self._conn.execute(query)]

    def claim_due(self, secret_id: str, now: datetime) -> bool:
        """Lock the row of ``secret_id`` for this transaction if it is still due for rotation;
        False when it is not, or another transaction holds it (PostgreSQL's ``FOR UPDATE SKIP
        LOCKED``: skipped rather than waited for; SQLite has one writer and ignores it)."""
        query = (
            select(S.c.id)
            .where(
                S.c.id == secret_id,
                S.c.next_rotation_time <= now,
                S.c.lifecycle_state == State.ACTIVE.value,
            )
            .with_for_update(skip_locked=True)
        )
        return self._conn.execute(query).first() is not None

    def purge_deleted(self, now: datetime) -> int:
        """Destroy the content of versions (and secrets) whose deletion time has come."""
        gone = select(S.c.id).where(S.c.lifecycle_state == _PENDING, S.c.time_of_deletion <= now)
        due_versions = select(V.c.secret_id).where(
            V.c.lifecycle_state == _PENDING, V.c.time_of_deletion <= now
        )
        changed = {r[0] for r in self._conn.execute(gone)}
        changed |= {r[0] for r in self._conn.execute(due_versions)}
        self._touched.rows_of(SECRETS, sorted(changed))  # their replicas learn of it
        touched = select(V.c.secret_id, V.c.number).where(
            or_(
                and_(V.c.secret_id.in_(gone), V.c.content.is_not(None)),
                and_(V.c.lifecycle_state == _PENDING, V.c.time_of_deletion <= now),
            )
        )
        keys = [version_key(r.secret_id, r.number) for r in self._conn.execute(touched)]
        self._touched.rows_of(VERSIONS, keys)
        count = self._conn.execute(
            update(V).where(V.c.secret_id.in_(gone), V.c.content.is_not(None)).values(**_DESTROYED)
        ).rowcount
        self._note(VERSIONS, count)
        secrets = self._conn.execute(
            update(S)
            .where(S.c.lifecycle_state == _PENDING, S.c.time_of_deletion <= now)
            .values(lifecycle_state=_DELETED, live_name=None, version=S.c.version + 1)
        ).rowcount
        self._note(SECRETS, secrets)
        versions = self._conn.execute(
            update(V)
            .where(V.c.lifecycle_state == _PENDING, V.c.time_of_deletion <= now)
            .values(lifecycle_state=_DELETED, version=V.c.version + 1, **_DESTROYED)
        ).rowcount
        self._note(VERSIONS, versions)
        return int(count + versions)

    def _note(self, table: str, rowcount: int) -> None:
        """Note a bulk write in ``touched`` when it changed rows (it runs on a timer)."""
        if rowcount:
            self._touched.add(table)

    # versions --------------------------------------------------------------------------------
    def put_replica(self, secret: Secret, exists: bool) -> None:
        """Write a replica's row as its source has it (its version, the source's etag, too);
        Conflict when another live secret of the vault has its name."""
        self._touched.add(SECRETS)
        values = secret_to_row(secret)
        try:
            if exists:
                self._conn.execute(_UPDATE_SECRET, {**values, "w_id": secret.id})
            else:
                self._conn.execute(_INSERT_SECRET, values)
        except IntegrityError:
            raise Conflict(f"A secret named {secret.name!r} already exists in this vault") from None

    def put_replica_version(self, version: SecretVersion, exists: bool) -> None:
        """Write a replica's version as its source has it."""
        self._touched.add(VERSIONS)
        values = version_to_row(version)
        if exists:
            where = {"w_secret_id": version.secret_id, "w_number": version.number}
            self._conn.execute(_UPDATE_VERSION, {**values, **where})
        else:
            self._conn.execute(_INSERT_VERSION, values)

    def delete_replica(self, secret_id: str) -> None:
        """Remove a replica and its versions (the source dropped this region or was deleted)."""
        self._touched.add(SECRETS)
        self._touched.add(VERSIONS)
        self._conn.execute(delete(V).where(V.c.secret_id == secret_id))
        self._conn.execute(delete(S).where(S.c.id == secret_id))

    def get_many(self, secret_ids: builtins.list[str]) -> dict[str, Secret]:
        """The secrets of ``secret_ids`` that exist, by id."""
        if not secret_ids:
            return {}
        query = select(S).where(S.c.id.in_(secret_ids))
        return {row.id: secret_from_row(row) for row in self._conn.execute(query)}

    def versions_changed(
        self, secret_ids: builtins.list[str], after: int | None, since_seq: int | None
    ) -> dict[str, builtins.list[tuple[SecretVersion, int | None]]]:
        """By secret, its versions with the sequence number of their last change, oldest
        first: every one, or (given ``after`` and ``since_seq``) those numbered above
        ``after`` and those changed after ``since_seq`` (a superset for the caller to narrow),
        each read through an index: a secret's old versions are not scanned."""
        if not secret_ids:
            return {}
        queries: builtins.list[tuple[Any, dict[str, Any]]]
        if after is None or since_seq is None:
            queries = [(_VERSIONS_OF_MANY, {"w_ids": secret_ids})]
        else:
            queries = [
                (_VERSIONS_ABOVE, {"w_ids": secret_ids, "w_after": after}),
                (_VERSIONS_CHANGED, {"w_ids": secret_ids, "w_since": since_seq}),
            ]
        rows = {(r.secret_id, r.number): r for q, p in queries for r in self._conn.execute(q, p)}
        found: dict[str, builtins.list[tuple[SecretVersion, int | None]]] = {}
        for _, row in sorted(rows.items()):
            found.setdefault(row.secret_id, []).append((version_from_row(row), row.change_seq))
        return found

    def versions_of(
        self, secret_id: str, numbers: builtins.list[int] | None = None
    ) -> builtins.list[SecretVersion]:
        """The versions of a secret (those of ``numbers`` when given), oldest first."""
        if numbers is not None:
            found = self._conn.execute(
                _VERSIONS_NUMBERED, {"w_secret_id": secret_id, "w_numbers": numbers}
            )
            return [version_from_row(r) for r in found]
        query = select(V).where(V.c.secret_id == secret_id).order_by(V.c.number)
        return [version_from_row(r) for r in self._conn.execute(query)]

    def add_version(self, version: SecretVersion) -> None:
        """Insert; Conflict when the number (a concurrent write) or the name is taken."""
        self._touched.row(VERSIONS, version_key(version.secret_id, version.number))
        self._touched.row(SECRETS, version.secret_id)
        try:
            self._conn.execute(insert(V).values(version_to_row(version)))
        except IntegrityError:
            raise Conflict(
                "A version with this name or number already exists; names are unique per secret"
            ) from None

    def get_version(self, secret_id: str, number: int) -> SecretVersion | None:
        query = select(V).where(V.c.secret_id == secret_id, V.c.number == number)
        row = self._conn.execute(query).first()
        return version_from_row(row) if row else None

    def version_by_stage(self, secret_id: str, stage: Stage) -> SecretVersion | None:
        """The newest version whose own stage is ``stage``."""
        query = (
            select(V)
            .where(V.c.secret_id == secret_id, V.c.stage == stage.value)
            .order_by(V.c.number.desc())
            .limit(1)
        )
        row = self._conn.execute(query).first()
        return version_from_row(row) if row else None

    def version_by_name(self, secret_id: str, name: str) -> SecretVersion | None:
        query = select(V).where(V.c.secret_id == secret_id, V.c.name == name)
        row = self._conn.execute(query).first()
        return version_from_row(row) if row else None

    def save_version(self, version: SecretVersion) -> None:
        """Persist a version's changes; Conflict on a concurrent change."""
        self._touched.row(VERSIONS, version_key(version.secret_id, version.number))
        self._touched.row(SECRETS, version.secret_id)
        values = {**version_to_row(version), "version": version.version + 1}
        result = self._conn.execute(
            update(V)
            .where(
                V.c.secret_id == version.secret_id,
                V.c.number == version.number,
                V.c.version == version.version,
            )
            .values(values)
        )
        if result.rowcount != 1:
            raise Conflict("The secret version was changed by another request; retry")
        version.version += 1

    def count_active_versions(self, secret_id: str) -> int:
        """Versions in use: neither scheduled for deletion nor deleted."""
        query = select(func.count()).where(
            V.c.secret_id == secret_id, V.c.lifecycle_state == State.ACTIVE.value
        )
        return int(self._conn.execute(query).scalar_one())

    def oldest_deprecated(self, secret_id: str) -> SecretVersion | None:
        """The oldest DEPRECATED version still in use."""
        query = (
            select(V)
            .where(
                V.c.secret_id == secret_id,
                V.c.stage == Stage.DEPRECATED.value,
                V.c.lifecycle_state == State.ACTIVE.value,
            )
            .order_by(V.c.number)
            .limit(1)
        )
        row = self._conn.execute(query).first()
        return version_from_row(row) if row else None

    def digest_used(
        self, secret_id: str, digest: bytes, include_deleted: bool, now: datetime
    ) -> bool:
        """Whether a version (a not-deleted one unless ``include_deleted``) has this digest."""
        query = select(V.c.number).where(V.c.secret_id == secret_id, V.c.digest == digest)
        if not include_deleted:
            query = query.where(~_state_is(V, _DELETED, now))
        return self._conn.execute(query.limit(1)).first() is not None

    def list_versions(self, secret_id: str, page: PageRequest) -> builtins.list[SecretVersion]:
        """One window of a secret's versions by number (one extra row to tell if more exist)."""
        order = V.c.number.desc() if page.descending else V.c.number.asc()
        query = (
            select(V)
            .where(V.c.secret_id == secret_id)
            .order_by(order)
            .offset(page.offset)
            .limit(page.limit + 1)
        )
        return [version_from_row(r) for r in self._conn.execute(query)]
