"""Rows of the IAM model: compartments, dynamic groups, policies, memberships, applications,
token signing keys and audit events. Dataclass fields are named as their columns."""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Table, and_, delete, func, insert, or_, select, update

from strongroom.domain.identity import (
    Application,
    AuditEvent,
    AuditQuery,
    AuditRow,
    Compartment,
    DynamicGroup,
    Group,
    Membership,
    PolicyRecord,
    StatementBinding,
    User,
)
from strongroom.storage import rows, schema
from strongroom.storage.changes import Changes
from strongroom.storage.repositories import update_versioned

T = TypeVar("T")
_AUDIT_FIELDS = tuple(f.name for f in dataclasses.fields(AuditEvent))
_AUDIT_COLUMNS = ", ".join(_AUDIT_FIELDS)
_AUDIT_CHUNK = 512  # x 13 columns stays under SQLite's 32,766 bound parameters


_audit_row = cast(Callable[[AuditEvent], AuditRow], operator.attrgetter(*_AUDIT_FIELDS))


def _chunk_sizes(total: int) -> Iterator[int]:
    """Full chunks, then the rest in powers of two: at most ten distinct statements ever.

    (With a statement per batch size, each flush prepared a new statement of thousands of
    parameters, and the driver's cache kept up to 128 of them.)
    """
    while total >= _AUDIT_CHUNK:
        yield _AUDIT_CHUNK
        total -= _AUDIT_CHUNK
    size = _AUDIT_CHUNK // 2
    while total:
        if total >= size:
            yield size
            total -= size
        size //= 2


@functools.lru_cache(maxsize=32)
def _insert_audit_sql(rows: int, marker: str) -> str:
    row_markers = "(" + ", ".join([marker] * len(_AUDIT_FIELDS)) + ")"
    values = ", ".join([row_markers] * rows)
    return f"INSERT INTO audit_events ({_AUDIT_COLUMNS}) VALUES {values}"  # noqa: S608


def _stamp(when: datetime, sqlite: bool) -> object:
    """A stored audit time: naive UTC; on SQLite, SQLAlchemy's DATETIME text form (which its
    reader parses back)."""
    if when.tzinfo is not UTC:
        when = when.astimezone(UTC)
    if sqlite:
        return when.isoformat(" ", "microseconds")[:26]
    return when.replace(tzinfo=None)


def _row_values(obj: object) -> dict[str, Any]:
    values = dataclasses.asdict(obj)  # type: ignore[call-overload]
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def _make(cls: type[T], row: Any) -> T:
    values = dict(row._mapping)
    hints = {f.name: f.type for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for name, value in values.items():
        if isinstance(value, list) and "tuple" in str(hints.get(name, "")):
            values[name] = tuple(value)
    return cls(**values)


class IamRepository:
    """IAM records within one transaction; writes of what decides access (compartments, users,
    groups, memberships, API keys, dynamic groups, policies, applications) are noted in
    ``touched`` (see :class:`~.unit_of_work.Transaction`)."""

    def __init__(self, conn: Connection, touched: Changes | None = None) -> None:
        self._conn = conn
        self._touched = Changes() if touched is None else touched

    # generic helpers ------------------------------------------------------------------------
    def _get(self, table: Table, cls: type[T], row_id: str) -> T | None:
        row = self._conn.execute(select(table).where(table.c.id == row_id)).first()
        return _make(cls, row) if row else None

    def _save(self, table: Table, obj: Any) -> None:
        self._touched.row(table.name, obj.id)
        update_versioned(self._conn, table, _row_values(obj), obj.version)
        obj.version += 1

    def _note_rows(self, table: Table, condition: Any) -> None:
        """Note the rows a bulk write of ``table`` where ``condition`` is about to change."""
        (key,) = table.primary_key.columns
        keys = [row[0] for row in self._conn.execute(select(key).where(condition))]
        self._touched.rows_of(table.name, keys)

    def _where(self, table: Table, cls: type[T], *conditions: Any) -> list[T]:
        query = select(table).where(*conditions).order_by(table.c.time_created, table.c.id)
        return [_make(cls, r) for r in self._conn.execute(query)]

    # compartments ---------------------------------------------------------------------------
    def add_compartment(self, compartment: Compartment) -> None:
        self._touched.row(schema.compartments.name, compartment.id)
        self._conn.execute(insert(schema.compartments).values(_row_values(compartment)))

    def get_compartment(self, compartment_id: str) -> Compartment | None:
        return self._get(schema.compartments, Compartment, compartment_id)

    def save_compartment(self, compartment: Compartment) -> None:
        self._save(schema.compartments, compartment)

    def compartments(self, tenancy_id: str) -> list[Compartment]:
        t = schema.compartments
        return self._where(t, Compartment, t.c.tenancy_id == tenancy_id)

    def children(self, parent_id: str) -> list[Compartment]:
        t = schema.compartments
        return self._where(
            t, Compartment, t.c.parent_id == parent_id, t.c.lifecycle_state == "ACTIVE"
        )

    def count_in_compartment(self, compartment_id: str, now: datetime) -> int:
        """Live resources of every kind that sit in ``compartment_id`` at ``now``.

        A vault, key or secret whose scheduled deletion time has passed is deleted although its
        row still says PENDING_DELETION, and so are the keys and secrets of such a vault.
        """
        v, k, p, s = schema.vaults, schema.keys, schema.policies, schema.secrets

        def live(t: Table) -> Any:
            return and_(
                t.c.lifecycle_state != "DELETED",
                or_(
                    t.c.lifecycle_state != "PENDING_DELETION",
                    t.c.time_of_deletion.is_(None),
                    t.c.time_of_deletion > now,
                ),
            )

        queries = (
            select(func.count()).where(v.c.compartment_id == compartment_id, live(v)),
            select(func.count())
            .select_from(k.join(v, k.c.vault_id == v.c.id))
            .where(k.c.compartment_id == compartment_id, live(k), live(v)),
            select(func.count()).where(
                p.c.compartment_id == compartment_id, p.c.lifecycle_state != "DELETED"
            ),
            select(func.count())
            .select_from(s.join(v, s.c.vault_id == v.c.id))
            .where(s.c.compartment_id == compartment_id, live(s), live(v)),
        )
        return sum(int(self._conn.execute(query).scalar_one()) for query in queries)

    # users and groups -----------------------------------------------------------------------
    def users(self, tenancy_id: str) -> list[User]:
        t = schema.users
        query = select(t).where(t.c.tenancy_id == tenancy_id).order_by(t.c.time_created, t.c.id)
        return [rows.user_from_row(r) for r in self._conn.execute(query)]

    def groups(self, tenancy_id: str) -> list[Group]:
        t = schema.groups
        query = select(t).where(t.c.tenancy_id == tenancy_id).order_by(t.c.time_created, t.c.id)
        return [rows.group_from_row(r) for r in self._conn.execute(query)]

    def get_group(self, group_id: str) -> Group | None:
        t = schema.groups
        row = self._conn.execute(select(t).where(t.c.id == group_id)).first()
        return rows.group_from_row(row) if row else None

    def set_user_state(self, user_id: str, state: str) -> None:
        t = schema.users
        self._touched.row(t.name, user_id)
        self._conn.execute(update(t).where(t.c.id == user_id).values(lifecycle_state=state))

    def update_description(self, table: Table, row_id: str, description: str) -> None:
        self._touched.row(table.name, row_id)
        self._conn.execute(
            update(table).where(table.c.id == row_id).values(description=description)
        )

    def delete_row(self, table: Table, row_id: str) -> None:
        self._touched.row(table.name, row_id)
        self._conn.execute(delete(table).where(table.c.id == row_id))

    # memberships ----------------------------------------------------------------------------
    def memberships(
        self, tenancy_id: str, user_id: str | None, group_id: str | None
    ) -> list[Membership]:
        t = schema.group_memberships
        conditions = [t.c.tenancy_id == tenancy_id]
        if user_id:
            conditions.append(t.c.user_id == user_id)
        if group_id:
            conditions.append(t.c.group_id == group_id)
        return self._where(t, Membership, *conditions)

    def get_membership(self, membership_id: str) -> Membership | None:
        return self._get(schema.group_memberships, Membership, membership_id)

    def delete_memberships_of(self, column: str, value: str) -> None:
        t = schema.group_memberships
        self._note_rows(t, t.c[column] == value)
        self._conn.execute(delete(t).where(t.c[column] == value))

    # API keys -------------------------------------------------------------------------------
    def api_keys_of(self, user_id: str) -> list[tuple[str, Any]]:
        t = schema.api_keys
        query = select(t).where(t.c.user_id == user_id).order_by(t.c.time_created)
        return [(r.key_id, rows.api_key_from_row(r)) for r in self._conn.execute(query)]

    def delete_api_key(self, key_id: str) -> int:
        t = schema.api_keys
        self._touched.row(t.name, key_id)
        return self._conn.execute(delete(t).where(t.c.key_id == key_id)).rowcount

    def delete_api_keys_of(self, user_id: str) -> None:
        t = schema.api_keys
        self._note_rows(t, t.c.user_id == user_id)
        self._conn.execute(delete(t).where(t.c.user_id == user_id))

    # dynamic groups and policies ------------------------------------------------------------
    def add_dynamic_group(self, group: DynamicGroup) -> None:
        self._touched.row(schema.dynamic_groups.name, group.id)
        self._conn.execute(insert(schema.dynamic_groups).values(_row_values(group)))

    def get_dynamic_group(self, group_id: str) -> DynamicGroup | None:
        return self._get(schema.dynamic_groups, DynamicGroup, group_id)

    def save_dynamic_group(self, group: DynamicGroup) -> None:
        self._save(schema.dynamic_groups, group)

    def dynamic_groups(self, tenancy_id: str) -> list[DynamicGroup]:
        t = schema.dynamic_groups
        return self._where(t, DynamicGroup, t.c.tenancy_id == tenancy_id)

    def add_policy(self, policy: PolicyRecord) -> None:
        self._touched.row(schema.policies.name, policy.id)
        self._conn.execute(insert(schema.policies).values(_row_values(policy)))

    def get_policy(self, policy_id: str) -> PolicyRecord | None:
        return self._get(schema.policies, PolicyRecord, policy_id)

    def save_policy(self, policy: PolicyRecord) -> None:
        self._save(schema.policies, policy)

    def policies(self, tenancy_id: str) -> list[PolicyRecord]:
        t = schema.policies
        return self._where(t, PolicyRecord, t.c.tenancy_id == tenancy_id)

    def bind_policy(self, policy: PolicyRecord, bindings: list[StatementBinding]) -> bool:
        """Store the bindings of a policy stored without them, unless it changed meanwhile
        (its version moved); the policy's version stays (what it shows is unchanged)."""
        t = schema.policies
        query = (
            update(t)
            .where(t.c.id == policy.id, t.c.version == policy.version)
            .values(bindings=bindings)
        )
        if not self._conn.execute(query).rowcount:
            return False
        self._touched.row(t.name, policy.id)
        return True

    # applications, signing keys, audit ------------------------------------------------------
    def add_application(self, app: Application) -> None:
        self._touched.row(schema.applications.name, app.id)
        self._conn.execute(insert(schema.applications).values(_row_values(app)))

    def get_application(self, client_id: str) -> Application | None:
        return self._get(schema.applications, Application, client_id)

    def applications_of(self, user_id: str) -> list[Application]:
        t = schema.applications
        return self._where(t, Application, t.c.user_id == user_id, t.c.lifecycle_state == "ACTIVE")

    def delete_applications_of(self, user_id: str) -> None:
        t = schema.applications
        self._note_rows(t, t.c.user_id == user_id)
        self._conn.execute(delete(t).where(t.c.user_id == user_id))

    def signing_keys(self) -> list[tuple[str, bytes, dict[str, Any], datetime]]:
        t = schema.token_signing_keys
        result = self._conn.execute(select(t).order_by(t.c.time_created))
        return [(r.kid, bytes(r.private_key), dict(r.public_jwk), r.time_created) for r in result]

    def add_signing_key(
        self, kid: str, private_key: bytes, jwk: dict[str, Any], now: datetime
    ) -> None:
        self._conn.execute(
            insert(schema.token_signing_keys).values(
                kid=kid, private_key=private_key, public_jwk=jwk, time_created=now
            )
        )

    def add_audit_events(self, events: list[AuditEvent]) -> None:
        """Insert a batch of events (see :meth:`add_audit_rows`)."""
        self.add_audit_rows([_audit_row(e) for e in events])

    def add_audit_rows(self, rows: Sequence[AuditRow]) -> None:
        """Insert a batch with a few multi-row INSERT statements.

        The audit writer runs in the serving process and is called for every request made. One
        statement per chunk (not a row-by-row executemany) keeps the number of times the writer
        thread gives up and takes back the GIL small, which is what slows the request thread.
        Chunks are of a few fixed sizes (see :func:`_chunk_sizes`), so the driver prepares each
        statement once and reuses it from its statement cache.
        """
        sqlite = self._conn.dialect.name == "sqlite"
        marker = "?" if self._conn.dialect.paramstyle == "qmark" else "%s"
        first = 0
        for size in _chunk_sizes(len(rows)):
            values: list[object] = []
            for row in rows[first : first + size]:
                values.append(row[0])
                values.append(_stamp(row[1], sqlite))
                values.extend(row[2:])
            first += size
            self._conn.exec_driver_sql(_insert_audit_sql(size, marker), tuple(values))

    def audit_events(self, query: AuditQuery) -> list[AuditEvent]:
        """The events ``query`` asks for (see :class:`AuditQuery`)."""
        t, q = schema.audit_events, query
        where = [t.c.tenancy_id == q.tenancy_id, t.c.time >= q.start, t.c.time < q.end]
        if q.compartment_id is not None:
            where.append(t.c.compartment_id == q.compartment_id)
        order = (t.c.time.desc(), t.c.id.desc()) if q.newest_first else (t.c.time, t.c.id)
        found = select(t).where(*where).order_by(*order).offset(q.offset).limit(q.limit + 1)
        return [_make(AuditEvent, r) for r in self._conn.execute(found)]
