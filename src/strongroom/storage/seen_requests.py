"""The replay store: requests seen once, shared by every process on the database.

One row per digest in ``seen_signatures``; the primary key makes a second insert of the same
digest fail, in whichever process it is tried.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from strongroom.storage import schema
from strongroom.storage.unit_of_work import Database

__all__ = ["insert_once", "purge_expired"]


def insert_once(db: Database, digest: str, expires_at: datetime) -> bool:
    """Record ``digest`` in its own short transaction; False when it is already recorded."""
    t = schema.seen_signatures
    try:
        with db.transaction() as tx:
            tx.conn.execute(insert(t).values(digest=digest, expires_at=expires_at))
    except IntegrityError:
        return False
    return True


def purge_expired(db: Database, now: datetime) -> int:
    """Delete the rows that expired before ``now``; return how many."""
    t = schema.seen_signatures
    with db.transaction() as tx:
        return int(tx.conn.execute(delete(t).where(t.c.expires_at < now)).rowcount)
