"""Rows of users' customer secret keys (access keys): the record, and its sealed secret apart.

The table is not replicated (see :mod:`.replicated_rows`): writes note only the table in
``touched``, so caches of access keys are dropped (and, on PostgreSQL, other processes told),
but nothing goes to the replication outbox.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Connection, delete, insert, select, update

from strongroom.domain.identity import CustomerSecretKey
from strongroom.storage import schema
from strongroom.storage.changes import Changes

__all__ = ["CustomerSecretKeyRepository", "SealedSecretKey"]

T = schema.customer_secret_keys


class SealedSecretKey(NamedTuple):
    """A customer secret key and its secret as stored (sealed by the barrier)."""

    key: CustomerSecretKey
    sealed_secret: bytes


def _key(row: Any) -> CustomerSecretKey:
    return CustomerSecretKey(
        row.id,
        row.tenancy_id,
        row.user_id,
        row.display_name,
        row.lifecycle_state,
        row.time_created,
    )


class CustomerSecretKeyRepository:
    """Customer secret keys within one transaction."""

    def __init__(self, conn: Connection, touched: Changes) -> None:
        self._conn = conn
        self._touched = touched

    def add(self, key: CustomerSecretKey, sealed_secret: bytes) -> None:
        self._touched.add(T.name)
        self._conn.execute(
            insert(T).values(
                id=key.id,
                tenancy_id=key.tenancy_id,
                user_id=key.user_id,
                display_name=key.display_name,
                secret=sealed_secret,
                lifecycle_state=key.lifecycle_state,
                time_created=key.time_created,
            )
        )

    def lock_user(self, user_id: str) -> None:
        """Hold the user's row until the transaction ends (PostgreSQL; SQLite has one writer),
        so that writers counting the user's keys take turns."""
        u = schema.users
        self._conn.execute(select(u.c.id).where(u.c.id == user_id).with_for_update())

    def of_user(self, user_id: str) -> list[CustomerSecretKey]:
        query = select(T).where(T.c.user_id == user_id).order_by(T.c.time_created, T.c.id)
        return [_key(row) for row in self._conn.execute(query)]

    def get(self, key_id: str) -> SealedSecretKey | None:
        row = self._conn.execute(select(T).where(T.c.id == key_id)).first()
        return SealedSecretKey(_key(row), bytes(row.secret)) if row else None

    def rename(self, key_id: str, display_name: str) -> None:
        self._touched.add(T.name)
        self._conn.execute(update(T).where(T.c.id == key_id).values(display_name=display_name))

    def delete(self, key_id: str) -> bool:
        self._touched.add(T.name)
        return bool(self._conn.execute(delete(T).where(T.c.id == key_id)).rowcount)

    def delete_of_user(self, user_id: str) -> None:
        self._touched.add(T.name)
        self._conn.execute(delete(T).where(T.c.user_id == user_id))
