"""Change notifications between processes sharing one PostgreSQL database.

A transaction that writes rows other processes cache announces the tables it wrote with
``NOTIFY strongroom_changes, '<table>,<table>...'`` before it commits (see
:meth:`.unit_of_work.Database.transaction`); PostgreSQL delivers the notification only when
the transaction commits. Every process listens on a connection of its own, in a daemon thread
(:class:`ChangeFeed`), and hands each announcement to the same change listeners its own writes
call, so its caches drop the rows within milliseconds. After a lost connection the feed
reconnects with back-off, listens again and announces every table once (what was missed while
disconnected). SQLite has no notifications: there the caches' TTL is the only bound.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, text

__all__ = ["CHANNEL", "ChangeFeed", "announce", "supports_notifications", "tables_of"]

CHANNEL = "strongroom_changes"
log = logging.getLogger("strongroom.storage.changes")
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', :tables)")
# How long one wait for notifications lasts before the stop flag is checked again.
_POLL_SECONDS = 0.25
# Reconnection back-off: from the first delay, doubled per failure, up to the last.
_FIRST_RETRY = 0.05
_LAST_RETRY = 5.0


def supports_notifications(engine: Engine) -> bool:
    """Whether ``engine`` speaks to PostgreSQL through psycopg 3 (LISTEN/NOTIFY available)."""
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


def announce(conn: Connection, tables: frozenset[str]) -> None:
    """Queue the notification that ``tables`` changed, sent when ``conn``'s transaction commits."""
    conn.execute(_NOTIFY, {"tables": ",".join(sorted(tables))})


def tables_of(payload: str) -> frozenset[str]:
    """The tables named by a notification's payload."""
    return frozenset(name for name in payload.split(",") if name)


class ChangeFeed:
    """Listens for other processes' announcements in a daemon thread until :meth:`close`.

    ``on_change(tables)`` is called on the feed's thread for each notification; after a
    reconnection it is called once with ``every_table`` (changes may have been missed).
    """

    def __init__(
        self,
        engine: Engine,
        on_change: Callable[[frozenset[str]], None],
        every_table: frozenset[str],
    ) -> None:
        _args, kwargs = engine.dialect.create_connect_args(engine.url)
        kwargs.pop("context", None)  # SQLAlchemy's adapters; the feed needs none
        # TCP keepalives: a connection dropped without a word is noticed within ~15 seconds.
        kwargs.update(keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3)
        self._connect_args: dict[str, Any] = dict(kwargs)
        self._on_change = on_change
        self._every_table = every_table
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._run, name="strongroom-changes", daemon=True)

    def start(self) -> None:
        """Start listening (returns at once; see :meth:`wait_listening`)."""
        self._thread.start()

    def wait_listening(self, timeout: float) -> bool:
        """Wait until the feed listens (true) or ``timeout`` seconds pass (false)."""
        return self._connected.wait(timeout)

    def close(self) -> None:
        """Stop listening and wait for the thread (at most one poll interval and a bit)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2 * _POLL_SECONDS + 1.0)

    def _run(self) -> None:
        delay = _FIRST_RETRY
        listened_before = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(**self._connect_args, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._connected.set()
                    if listened_before:
                        log.info("change notifications: listening again; dropping all caches")
                        self._deliver(self._every_table)
                    listened_before = True
                    delay = _FIRST_RETRY
                    self._listen(conn)
            except psycopg.Error as error:
                self._connected.clear()
                if self._stop.is_set():
                    return
                log.warning(
                    "change notifications: connection lost or refused (%s); retrying in %.2fs",
                    type(error).__name__,
                    delay,
                )
                self._stop.wait(delay)
                delay = min(delay * 2, _LAST_RETRY)

    def _listen(self, conn: psycopg.Connection[Any]) -> None:
        """Deliver notifications until the feed is closed (or the connection fails: raises)."""
        while not self._stop.is_set():
            for notify in conn.notifies(timeout=_POLL_SECONDS):
                self._deliver(tables_of(notify.payload))

    def _deliver(self, tables: frozenset[str]) -> None:
        try:
            self._on_change(tables)
        except Exception:
            log.exception("change notifications: a change listener failed")
