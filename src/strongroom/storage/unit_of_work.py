"""Unit of work: one transaction and the repositories bound to it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select, update

from strongroom.storage import schema
from strongroom.storage.at_rest_repository import AtRestRepository
from strongroom.storage.change_feed import ChangeFeed, announce, supports_notifications
from strongroom.storage.changes import Changes
from strongroom.storage.iam_repository import IamRepository
from strongroom.storage.idempotency_repository import IdempotencyRepository
from strongroom.storage.identity_repository import IdentityRepository
from strongroom.storage.key_alias_repository import KeyAliasRepository
from strongroom.storage.key_associations import KeyAssociationRepository
from strongroom.storage.key_policy_repository import KeyPolicyRepository
from strongroom.storage.lease_repository import LeaseRepository
from strongroom.storage.realm_repository import RealmRepository, capture_outbox
from strongroom.storage.repositories import (
    KeyRepository,
    PrivateEndpointRepository,
    VaultRepository,
)
from strongroom.storage.secret_outbox import capture_secret_changes
from strongroom.storage.secret_repository import SecretRepository

ChangeListener = Callable[[frozenset[str]], None]

_blocking_forbidden: ContextVar[bool] = ContextVar("strongroom_blocking_forbidden", default=False)


class WouldBlock(Exception):
    """Storage was needed by code that promised not to block (see :func:`forbid_blocking`).

    Not an error of the request: the caller runs the same work again where it may block.
    """


class _BlockingForbidden:
    """The context manager of :func:`forbid_blocking` (a class: cheaper than a generator)."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _blocking_forbidden.set(True)

    def __exit__(self, *_exc: object) -> None:
        _blocking_forbidden.reset(self._token)


def forbid_blocking() -> AbstractContextManager[None]:
    """In this block (this thread or asyncio task), opening a transaction raises WouldBlock."""
    return _BlockingForbidden()


def blocking_forbidden() -> bool:
    """Whether the current code runs under :func:`forbid_blocking`."""
    return _blocking_forbidden.get()


class Transaction:
    """Repositories sharing one database transaction.

    ``touched`` names the tables written in it that processes cache: vaults, keys, key
    versions, secrets, secret versions and the identity and IAM tables; and the rows of the
    replicated identity tables written (see :class:`~.changes.Changes`).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.touched = Changes()
        self.vaults = VaultRepository(conn, self.touched)
        self.private_endpoints = PrivateEndpointRepository(conn)
        self.keys = KeyRepository(conn, self.touched)
        self.key_aliases = KeyAliasRepository(conn, self.touched)
        self.key_associations = KeyAssociationRepository(conn)
        self.key_policies = KeyPolicyRepository(conn, self.touched)
        self.identity = IdentityRepository(conn, self.touched)
        self.idempotency = IdempotencyRepository(conn)
        self.iam = IamRepository(conn, self.touched)
        self.secrets = SecretRepository(conn, self.touched)
        self.leases = LeaseRepository(conn)
        self.at_rest = AtRestRepository(conn, self.touched)
        self.realm = RealmRepository(conn, self.touched)


class Database:
    """The storage entry point: transactions, and the barrier's keyring store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._listeners: list[ChangeListener] = []
        # On PostgreSQL, writes are announced to other processes (see change_feed).
        self._announces = supports_notifications(engine)
        self._feed: ChangeFeed | None = None
        # Reentrant: a write transaction may call code that opens another in the same thread.
        self._sqlite_writers = threading.RLock() if engine.dialect.name == "sqlite" else None
        # In the home region, identity writes are captured into the replication outbox.
        self.capture_identity = False

    def add_change_listener(self, listener: ChangeListener) -> None:
        """Call ``listener(tables)`` when a transaction that wrote rows processes cache (see
        :class:`Transaction`) ends (committed or not), so in-process caches of those rows can
        be dropped at once. ``tables`` names the tables written. Once :meth:`listen_for_changes`
        runs, other processes' committed writes call it too (on the feed's thread)."""
        self._listeners.append(listener)

    def listen_for_changes(self, timeout: float = 5.0) -> bool:
        """On PostgreSQL, start passing other processes' announced writes to the change
        listeners (waiting up to ``timeout`` seconds for the feed to listen); false on SQLite,
        where nothing is announced. Stopped by :meth:`stop_listening`."""
        if not self._announces:
            return False
        if self._feed is None:
            every_table = frozenset(schema.metadata.tables)
            self._feed = ChangeFeed(self.engine, self._changed, every_table)
            self._feed.start()
        return self._feed.wait_listening(timeout)

    def stop_listening(self) -> None:
        """Stop the feed of :meth:`listen_for_changes` (if any)."""
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.close()

    def _changed(self, tables: frozenset[str]) -> None:
        for listener in self._listeners:
            listener(tables)

    @contextmanager
    def transaction(self, read_only: bool = False) -> Iterator[Transaction]:
        """Commit when the block ends normally, roll back when it raises.

        ``read_only`` transactions may run inside another transaction of the same thread (an
        authorization lookup during an update): on SQLite they take no write lock up front.
        """
        if _blocking_forbidden.get():
            raise WouldBlock()
        tx: Transaction | None = None
        # SQLite has one writer at a time: this process's writers queue here, holding no
        # pooled connection and woken at once, instead of in SQLite's busy handler (which
        # sleeps up to 100 ms a try while holding a connection readers need).
        writers = self._sqlite_writers if not read_only else None
        if writers is not None:
            writers.acquire()
        try:
            with self.engine.connect() as raw:
                conn = raw.execution_options(strongroom_read_only=read_only) if read_only else raw
                with conn.begin():
                    tx = Transaction(conn)
                    yield tx
                    if tx.touched.rows or tx.touched.work_requests:
                        self._capture(conn, tx.touched)
                    if tx.touched and self._announces:
                        announce(conn, frozenset(tx.touched))  # delivered on commit only
        finally:
            if writers is not None:
                writers.release()
            if tx is not None and tx.touched:
                self._changed(frozenset(tx.touched))

    def _capture(self, conn: Connection, changes: Changes) -> None:
        """Before commit: the outbox entries of what the transaction changed."""
        now = datetime.now(UTC)
        if self.capture_identity:
            capture_outbox(conn, changes, "identity", now)
        capture_secret_changes(conn, changes, now)

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
