"""Rows of key policies (``key_policies``): at most one per key, the document as set.

The table is not replicated: writes note only the table in ``touched`` (the cached policies
are dropped, and on PostgreSQL other processes told).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from strongroom.domain.key_policy import KeyPolicyRecord
from strongroom.storage import schema
from strongroom.storage.changes import Changes

__all__ = ["KeyPolicyRepository"]

P = schema.key_policies
K = schema.keys


def _record(row: Any) -> KeyPolicyRecord:
    return KeyPolicyRecord(
        key_id=row.key_id,
        tenancy_id=row.tenancy_id,
        document=row.document,
        time_updated=row.time_updated,
        bindings=dict(row.bindings or {}),
    )


class KeyPolicyRepository:
    """Key policies within one transaction."""

    def __init__(self, conn: Connection, touched: Changes) -> None:
        self._conn = conn
        self._touched = touched

    def get(self, key_id: str) -> KeyPolicyRecord | None:
        """The key's own policy; None when it has the default one."""
        row = self._conn.execute(select(P).where(P.c.key_id == key_id)).first()
        return _record(row) if row else None

    def put(self, record: KeyPolicyRecord) -> None:
        """Set the key's policy (replacing any). Writers of one key take turns: the key's row
        is held until the transaction ends (PostgreSQL; SQLite has one writer)."""
        self._touched.add(P.name)
        self._conn.execute(select(K.c.id).where(K.c.id == record.key_id).with_for_update())
        values = {
            "tenancy_id": record.tenancy_id,
            "document": record.document,
            "bindings": dict(record.bindings),
            "time_updated": record.time_updated,
        }
        changed = self._conn.execute(update(P).where(P.c.key_id == record.key_id).values(values))
        if not changed.rowcount:
            self._conn.execute(insert(P).values(key_id=record.key_id, **values))
