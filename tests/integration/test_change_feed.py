"""The storage side of change notifications: what a transaction announces, to whom, and when."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from strongroom.storage.engine import make_engine
from strongroom.storage.unit_of_work import Database
from tests.integration import storage_support


@pytest.fixture(scope="module")
def pg_engine() -> Iterator[Engine]:
    yield from storage_support.postgresql_engine()


def _listening(engine: Engine) -> tuple[Database, queue.Queue[frozenset[str]]]:
    """A second Database on ``engine``'s database whose listener records what it is told."""
    other = Database(make_engine(engine.url.render_as_string(hide_password=False)))
    heard: queue.Queue[frozenset[str]] = queue.Queue()
    other.add_change_listener(heard.put)
    assert other.listen_for_changes()
    return other, heard


def test_a_committed_write_reaches_another_database_object_and_a_rolled_back_one_does_not(
    pg_engine: Engine,
) -> None:
    writer = Database(pg_engine)
    other, heard = _listening(pg_engine)
    try:
        vault = storage_support.vault_of()
        with pytest.raises(RuntimeError), writer.transaction() as tx:
            tx.vaults.add(vault)
            raise RuntimeError("rolled back")
        start = time.monotonic()
        with writer.transaction() as tx:
            tx.vaults.add(vault)
            tx.iam.delete_api_key("no-such-key")
        # (Other tests' servers on the same database announce too: their tables are skipped.)
        while (tables := heard.get(timeout=1.0)) != {"vaults", "api_keys"}:
            assert "vaults" not in tables or "api_keys" in tables  # no rolled-back announcement
        assert time.monotonic() - start < 0.1
    finally:
        other.stop_listening()
        other.engine.dispose()


def test_sqlite_announces_nothing_and_has_no_feed(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'strongroom.db'}")
    try:
        assert Database(engine).listen_for_changes() is False
    finally:
        engine.dispose()
