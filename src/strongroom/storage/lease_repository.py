"""Named leases (table ``leases``): which process holds a piece of work that must run once.

A lease is taken by one atomic conditional upsert: the row is written when it is missing, when
its expiry has passed, or when it is already the caller's (a renewal); otherwise nothing is
written and the caller does not hold it. On PostgreSQL that is ``INSERT ... ON CONFLICT (name)
DO UPDATE ... WHERE leases.expires_at < :now OR leases.holder = :me``; SQLite runs the same
statement inside its write transaction (``BEGIN IMMEDIATE``, see :mod:`.engine`).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, case, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from strongroom.storage import schema

__all__ = ["LeaseRecord", "LeaseRepository"]

L = schema.leases


@dataclass(frozen=True)
class LeaseRecord:
    """A lease as stored: who holds it, since when, and until when unless renewed."""

    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


class LeaseRepository:
    """Reads and conditional writes of the ``leases`` table, in one transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def try_acquire(self, name: str, holder: str, now: datetime, expires_at: datetime) -> bool:
        """Take or renew lease ``name`` for ``holder`` until ``expires_at`` when it is free,
        expired at ``now``, or already ``holder``'s; True when this call holds it."""
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        values = {"name": name, "holder": holder, "acquired_at": now, "expires_at": expires_at}
        statement = dialect.insert(L).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[L.c.name],
            set_={
                "holder": statement.excluded.holder,
                # A renewal keeps the time the holder first took it.
                "acquired_at": case(
                    (L.c.holder == holder, L.c.acquired_at), else_=statement.excluded.acquired_at
                ),
                "expires_at": statement.excluded.expires_at,
            },
            where=or_(L.c.expires_at < now, L.c.holder == holder),
        )
        # RETURNING answers whether a row was written (rowcount is not reliable for upserts).
        return self._conn.execute(statement.returning(L.c.name)).first() is not None

    def release(self, name: str, holder: str) -> bool:
        """Give lease ``name`` up if ``holder`` still holds it; True when it did."""
        query = delete(L).where(L.c.name == name, L.c.holder == holder)
        return self._conn.execute(query).rowcount == 1

    def list(self) -> builtins.list[LeaseRecord]:
        """Every stored lease (held or expired), by name."""
        rows = self._conn.execute(select(L).order_by(L.c.name))
        return [LeaseRecord(r.name, r.holder, r.acquired_at, r.expires_at) for r in rows]
