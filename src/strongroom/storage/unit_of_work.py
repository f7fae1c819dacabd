"""Unit of work: one transaction and the repositories bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select, update

from strongroom.storage import schema
from strongroom.storage.iam_repository import IamRepository
from strongroom.storage.idempotency_repository import IdempotencyRepository
from strongroom.storage.identity_repository import IdentityRepository
from strongroom.storage.repositories import KeyRepository, VaultRepository


class Transaction:
    """Repositories sharing one database transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.vaults = VaultRepository(conn)
        self.keys = KeyRepository(conn)
        self.identity = IdentityRepository(conn)
        self.idempotency = IdempotencyRepository(conn)
        self.iam = IamRepository(conn)


class Database:
    """The storage entry point: transactions, and the barrier's keyring store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Commit when the block ends normally, roll back when it raises."""
        with self.engine.begin() as conn:
            yield Transaction(conn)

    def load_keyring(self) -> tuple[bytes, str] | None:
        t = schema.barrier_keyring
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == 1)).first()
        return (bytes(row.wrapped), row.master_key_id) if row else None

    def save_keyring(self, wrapped: bytes, master_key_id: str) -> None:
        t = schema.barrier_keyring
        values = {
            "wrapped": wrapped,
            "master_key_id": master_key_id,
            "time_updated": datetime.now(UTC),
        }
        with self.engine.begin() as conn:
            if conn.execute(select(t.c.id).where(t.c.id == 1)).first():
                conn.execute(update(t).where(t.c.id == 1).values(values))
            else:
                conn.execute(insert(t).values(id=1, **values))
