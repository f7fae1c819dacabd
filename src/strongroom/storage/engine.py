"""Engine creation for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the pragmas/pool settings each backend needs.

    ``hide_parameters``: SQL parameters (descriptions, tags, metadata, sealed values) are kept
    out of log lines and of database errors' messages, which do get logged.
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(
        url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is turned off so BEGIN is ours (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # A deferred BEGIN takes the write lock only at the first write, and SQLite then fails at
    # once with "database is locked" (busy_timeout cannot help a read lock upgrading) when
    # another writer got in first. IMMEDIATE takes the write lock up front, so concurrent
    # writers queue on busy_timeout instead. Readers are not blocked (WAL); hot-path reads are
    # cached above this layer, so serializing transactions costs little on the embedded store.
    read_only = connection.get_execution_options().get("strongroom_read_only", False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
