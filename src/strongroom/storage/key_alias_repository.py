"""Rows of key aliases (``key_aliases``): one per alias name of a tenancy.

A key's aliases outlive nothing: once the key (or its vault) is deleted for good, its aliases
are ignored by the listings here and removed by :meth:`KeyAliasRepository.purge_of_deleted_keys`.
Deletion takes effect on time, without a write (see :func:`strongroom.domain.lifecycle
.effective_state`), so "deleted" is decided in the queries from the states and deletion times
of the key and its vault. The table is not replicated: writes note only the table in
``touched`` (cached resolutions are dropped, and on PostgreSQL other processes told).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    and_,
    delete,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from strongroom.domain.key_alias import AliasAlreadyExists, KeyAlias
from strongroom.domain.lifecycle import State
from strongroom.storage import schema
from strongroom.storage.changes import Changes

__all__ = ["KeyAliasRepository"]

A = schema.key_aliases
K = schema.keys
V = schema.vaults


def _alias(row: Any) -> KeyAlias:
    return KeyAlias(row.tenancy_id, row.alias_name, row.key_id, row.time_created, row.time_updated)


def _gone(table: Table, now: datetime) -> ColumnElement[bool]:
    """The row (a key or a vault) is DELETED at ``now``, swept or not."""
    state, when = table.c.lifecycle_state, table.c.time_of_deletion
    due = and_(state == State.PENDING_DELETION.value, when.is_not(None), when <= now)
    return or_(state == State.DELETED.value, due)


def _deleted_keys(now: datetime) -> Select[Any]:
    """Ids of the keys deleted for good at ``now``: their own deletion, or their vault's."""
    joined = K.join(V, V.c.id == K.c.vault_id)
    return select(K.c.id).select_from(joined).where(or_(_gone(K, now), _gone(V, now)))


class KeyAliasRepository:
    """Key aliases within one transaction."""

    def __init__(self, conn: Connection, touched: Changes) -> None:
        self._conn = conn
        self._touched = touched

    def add(self, alias: KeyAlias) -> None:
        """Insert ``alias``; AliasAlreadyExists when its name is taken (a concurrent writer)."""
        self._touched.add(A.name)
        values = {
            "tenancy_id": alias.tenancy_id,
            "alias_name": alias.name,
            "key_id": alias.key_id,
            "time_created": alias.time_created,
            "time_updated": alias.time_updated,
        }
        try:
            self._conn.execute(insert(A).values(values))
        except IntegrityError:
            raise AliasAlreadyExists(alias.name) from None

    def get(self, tenancy_id: str, name: str) -> KeyAlias | None:
        """The alias ``name`` of the tenancy as stored (its key may be deleted)."""
        query = select(A).where(A.c.tenancy_id == tenancy_id, A.c.alias_name == name)
        row = self._conn.execute(query).first()
        return _alias(row) if row else None

    def move(self, alias: KeyAlias, key_id: str, now: datetime) -> bool:
        """Point ``alias`` at ``key_id``, if it still names the key it named when read."""
        self._touched.add(A.name)
        query = (
            update(A)
            .where(
                A.c.tenancy_id == alias.tenancy_id,
                A.c.alias_name == alias.name,
                A.c.key_id == alias.key_id,
            )
            .values(key_id=key_id, time_updated=now)
        )
        return bool(self._conn.execute(query).rowcount)

    def delete(self, tenancy_id: str, name: str) -> bool:
        self._touched.add(A.name)
        query = delete(A).where(A.c.tenancy_id == tenancy_id, A.c.alias_name == name)
        return bool(self._conn.execute(query).rowcount)

    def lock_key(self, key_id: str) -> None:
        """Hold the key's row until the transaction ends (PostgreSQL; SQLite has one writer),
        so that writers counting the key's aliases take turns."""
        self._conn.execute(select(K.c.id).where(K.c.id == key_id).with_for_update())

    def count_of_key(self, key_id: str) -> int:
        query = select(func.count()).select_from(A).where(A.c.key_id == key_id)
        return int(self._conn.execute(query).scalar_one())

    def of_key(self, key_id: str, offset: int, limit: int) -> tuple[list[KeyAlias], int]:
        """One window of a key's aliases by name, and how many it has."""
        return self._window(A.c.key_id == key_id, offset, limit)

    def of_tenancy(
        self, tenancy_id: str, now: datetime, offset: int, limit: int
    ) -> tuple[list[KeyAlias], int]:
        """One window of a tenancy's aliases by name, and how many there are (aliases of keys
        deleted for good at ``now`` left out)."""
        live = not_(A.c.key_id.in_(_deleted_keys(now)))
        return self._window(and_(A.c.tenancy_id == tenancy_id, live), offset, limit)

    def purge_of_deleted_keys(self, now: datetime) -> int:
        """Remove the aliases of keys deleted for good at ``now``; how many were removed."""
        query = delete(A).where(A.c.key_id.in_(_deleted_keys(now)))
        removed = int(self._conn.execute(query).rowcount)
        if removed:  # runs on a timer: only a real write drops cached resolutions
            self._touched.add(A.name)
        return removed

    def _window(
        self, where: ColumnElement[bool], offset: int, limit: int
    ) -> tuple[list[KeyAlias], int]:
        total = self._conn.execute(select(func.count()).select_from(A).where(where)).scalar_one()
        query = select(A).where(where).order_by(A.c.alias_name, A.c.tenancy_id)
        found = self._conn.execute(query.offset(offset).limit(limit))
        return [_alias(row) for row in found], int(total)
