"""Migration 0018 (keys' deletion protection) on both backends: keys stored before it read
as unprotected after it, and it reverts cleanly."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, insert

from strongroom.storage import migrate, rows, schema
from strongroom.storage.unit_of_work import Database
from tests.integration.storage_support import key_of, vault_of


def _to(engine: Engine, revision: str, downgrade: bool = False) -> None:
    config = migrate.alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if downgrade else command.upgrade)(config, revision)


def test_keys_stored_before_0018_read_as_unprotected(engine: Engine, db: Database) -> None:
    vault = vault_of()
    key = key_of(vault)
    _to(engine, "0017", downgrade=True)
    try:
        old_columns = {c.name for c in schema.keys.columns} - {
            "deletion_protection",
            "deletion_protection_description",
        }
        values = {k: v for k, v in rows.key_to_row(key).items() if k in old_columns}
        with engine.begin() as conn:
            conn.execute(insert(schema.vaults).values(rows.vault_to_row(vault)))
            conn.execute(insert(schema.keys).values(values))  # the columns 0017 knows
    finally:
        migrate.upgrade(engine)
    with db.transaction(read_only=True) as tx:
        loaded = tx.keys.get(key.id)
    assert loaded == key
    assert loaded is not None
    assert (loaded.deletion_protection, loaded.deletion_protection_description) == (False, None)
