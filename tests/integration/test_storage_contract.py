"""The storage contract, run against every backend (SQLite file and PostgreSQL; see
storage_support): migrations, and vaults, keys and key versions stored and changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from strongroom.domain.ekm import EkmHealth, EkmHealthState, ExternalKeyManager
from strongroom.domain.errors import Conflict
from strongroom.domain.key import Origin, ProtectionMode, make_shape
from strongroom.domain.lifecycle import State
from strongroom.domain.vault import VaultType
from strongroom.storage import migrate, schema
from strongroom.storage.unit_of_work import Database
from tests.integration.storage_support import (
    IST,
    T0,
    assert_utc,
    key_of,
    ocid,
    vault_of,
    version_of,
)

# --- migrations -----------------------------------------------------------------------------------


def _head() -> str | None:
    return ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def _alembic_versions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]


def test_migrations_create_exactly_the_declared_schema(engine: Engine) -> None:
    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    assert set(schema.metadata.tables) | {"alembic_version"} == tables
    for name, table in schema.metadata.tables.items():
        columns = {c["name"]: c for c in inspector.get_columns(name)}
        assert set(columns) == {c.name for c in table.columns}, name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, f"{name}.{column.name}"
        primary = inspector.get_pk_constraint(name)["constrained_columns"]
        assert set(primary) == {c.name for c in table.primary_key.columns}, name
        declared_indexes = {i.name for i in table.indexes}
        assert declared_indexes <= {i["name"] for i in inspector.get_indexes(name)}, name
    assert _alembic_versions(engine) == [_head()]


def test_postgresql_tables_live_in_the_session_schema(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL has schemas")
    schema_name = engine.info_schema  # type: ignore[attr-defined]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT current_schema()")).scalar_one() == schema_name
    assert "vaults" in inspect(engine).get_table_names(schema=schema_name)


def test_migrations_reapply_idempotently(engine: Engine, db: Database) -> None:
    vault = vault_of()
    with db.transaction() as tx:
        tx.vaults.add(vault)
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert _alembic_versions(engine) == [_head()]
    with db.transaction() as tx:
        assert tx.vaults.get(vault.id) == vault


# --- vaults, keys, key versions -------------------------------------------------------------------


def test_vault_round_trip_preserves_every_field(db: Database) -> None:
    vault = vault_of(
        name="Prod vault — ünïcode ✓",
        vault_type=VaultType.VIRTUAL_PRIVATE,
        lifecycle_state=State.PENDING_DELETION,
        time_created=datetime(2026, 2, 3, 9, 8, 7, 123456, tzinfo=IST),
        time_of_deletion=datetime(2026, 3, 3, 9, 8, 7, 999999, tzinfo=IST),
        freeform_tags={"team": "sec", "ключ": "значение", "empty": ""},
        defined_tags={"Ops": {"CostCenter": "42", "n": 7, "f": 1.25, "b": True}, "Empty": {}},
    )
    with db.transaction() as tx:
        tx.vaults.add(vault)
    with db.transaction() as tx:
        loaded = tx.vaults.get(vault.id)
    assert loaded == vault
    assert loaded is not None
    assert_utc(loaded.time_created)
    assert_utc(loaded.time_of_deletion)
    assert loaded.time_created == datetime(2026, 2, 3, 3, 38, 7, 123456, tzinfo=UTC)
    assert loaded.defined_tags["Ops"]["b"] is True
    assert isinstance(loaded.defined_tags["Ops"]["n"], int)


def test_vault_round_trip_with_defaults(db: Database) -> None:
    vault = vault_of(name="x" * 255)
    with db.transaction() as tx:
        tx.vaults.add(vault)
        loaded = tx.vaults.get(vault.id)
    assert loaded == vault
    assert loaded is not None
    assert loaded.time_of_deletion is None
    assert loaded.freeform_tags == {}
    assert loaded.defined_tags == {}
    assert loaded.version == 1


@pytest.mark.parametrize(
    ("algorithm", "length", "curve", "mode"),
    [
        ("AES", 16, None, ProtectionMode.SOFTWARE),
        ("RSA", 512, None, ProtectionMode.HSM),
        ("ECDSA", 48, "NIST_P384", ProtectionMode.EXTERNAL),
    ],
)
def test_key_round_trip_preserves_every_field(
    db: Database, algorithm: str, length: int, curve: str | None, mode: ProtectionMode
) -> None:
    vault = vault_of()
    key = key_of(
        vault,
        name="signing key",
        shape=make_shape(algorithm, length, curve),
        protection_mode=mode,
        lifecycle_state=State.PENDING_DELETION,
        time_created=datetime(2026, 1, 1, 23, 59, 59, 1, tzinfo=IST),
        time_of_deletion=T0 + timedelta(days=7, microseconds=5),
        freeform_tags={"a": "b"},
        defined_tags={"ns": {"k": "v", "n": 0}},
        deletion_protection=True,
        deletion_protection_description="guards the ledger",
    )
    with db.transaction() as tx:
        tx.vaults.add(vault)
        tx.keys.add(key)
    with db.transaction() as tx:
        loaded = tx.keys.get(key.id)
    assert loaded == key
    assert loaded is not None
    assert_utc(loaded.time_created)
    assert_utc(loaded.time_of_deletion)


@pytest.mark.parametrize(
    "public_key_pem", [None, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]
)
def test_key_version_round_trip_preserves_every_field(
    db: Database, public_key_pem: str | None
) -> None:
    vault = vault_of()
    key = key_of(vault)
    version = version_of(
        key,
        lifecycle_state=State.PENDING_DELETION,
        origin=Origin.EXTERNAL,
        time_created=datetime(2026, 6, 30, 12, 0, 0, 500000, tzinfo=IST),
        time_of_deletion=T0 + timedelta(days=30),
        material=bytes(range(256)) * 20,  # every byte value, NULs included, 5 KiB
        public_key_pem=public_key_pem,
    )
    with db.transaction() as tx:
        tx.vaults.add(vault)
        tx.keys.add(key)
        tx.keys.add_version(version)
    with db.transaction() as tx:
        loaded = tx.keys.get_version(version.id)
    assert loaded == version
    assert loaded is not None
    assert isinstance(loaded.material, bytes)
    assert_utc(loaded.time_created)


def test_external_vault_key_and_version_round_trip(db: Database) -> None:
    ekm = ExternalKeyManager(
        endpoint_url="https://ekm.example:8443/v1/vaults/v-1",
        client_app_id="app-1",
        sealed_client_secret=bytes(range(256)),
        idp_url="https://idp.example/",
        private_endpoint_id="ocid1.ekmsprivateendpoint.oc1..aaaa",
    )
    vault = vault_of(vault_type=VaultType.EXTERNAL, external=ekm)
    key = key_of(
        vault,
        protection_mode=ProtectionMode.EXTERNAL,
        external_key_id="ext-key/1",
        external_key_version_id="ext-version-7",
    )
    version = version_of(
        key, material=b"", external_key_id="ext-key/1", external_key_version_id="ext-version-7"
    )
    with db.transaction() as tx:
        tx.vaults.add(vault)
        tx.keys.add(key)
        tx.keys.add_version(version)
    with db.transaction() as tx:
        assert tx.vaults.get(vault.id) == vault
        assert tx.keys.get(key.id) == key
        assert tx.keys.get_version(version.id) == version
        assert vault.id in [v.id for v in tx.vaults.list_external()]


def test_non_external_rows_have_no_external_fields(db: Database) -> None:
    vault = vault_of()
    key = key_of(vault)
    version = version_of(key)
    with db.transaction() as tx:
        tx.vaults.add(vault)
        tx.keys.add(key)
        tx.keys.add_version(version)
    with db.transaction() as tx:
        loaded_vault = tx.vaults.get(vault.id)
        loaded_key = tx.keys.get(key.id)
        loaded_version = tx.keys.get_version(version.id)
        assert vault.id not in [v.id for v in tx.vaults.list_external()]
    assert loaded_vault is not None and loaded_vault.external is None
    assert loaded_key is not None and loaded_key.external_key_id is None
    assert loaded_version is not None and loaded_version.external_key_version_id is None
    assert loaded_version.external_key_id is None


def test_ekm_health_is_stored_apart_from_the_vault(db: Database) -> None:
    vault = vault_of(vault_type=VaultType.EXTERNAL)
    changes: list[frozenset[str]] = []
    with db.transaction() as tx:
        tx.vaults.add(vault)
        assert tx.vaults.get_health(vault.id) is None
    db.add_change_listener(changes.append)
    first = EkmHealth(vault.id, EkmHealthState.UNREACHABLE, "timed out", T0)
    second = EkmHealth(vault.id, EkmHealthState.ACTIVE, "ok", T0 + timedelta(seconds=30))
    with db.transaction() as tx:
        tx.vaults.put_health(first)
    with db.transaction() as tx:
        assert tx.vaults.get_health(vault.id) == first
        tx.vaults.put_health(second)
    with db.transaction() as tx:
        assert tx.vaults.get_health(vault.id) == second
        loaded = tx.vaults.get(vault.id)
    assert loaded is not None and loaded.version == vault.version  # not a change of the vault
    assert changes == []  # cached key rows stay


def test_missing_rows_are_none(db: Database) -> None:
    with db.transaction() as tx:
        assert tx.vaults.get(ocid("vault")) is None
        assert tx.keys.get(ocid("key")) is None
        assert tx.keys.get_version(ocid("keyversion")) is None


def test_save_persists_changes_and_bumps_the_version(db: Database) -> None:
    vault = vault_of()
    key = key_of(vault)
    version = version_of(key)
    with db.transaction() as tx:
        tx.vaults.add(vault)
        tx.keys.add(key)
        tx.keys.add_version(version)
    with db.transaction() as tx:
        v, k, kv = tx.vaults.get(vault.id), tx.keys.get(key.id), tx.keys.get_version(version.id)
        assert v is not None and k is not None and kv is not None
        v.display_name = "renamed"
        v.freeform_tags = {"new": "tag"}
        v.lifecycle_state = State.PENDING_DELETION
        v.time_of_deletion = T0 + timedelta(days=9)
        k.lifecycle_state = State.DISABLED
        k.current_version_id = version.id
        k.defined_tags = {"ns": {"k": 1.5}}
        kv.lifecycle_state = State.PENDING_DELETION
        kv.time_of_deletion = T0 + timedelta(days=8)
        tx.vaults.save(v)
        tx.keys.save(k)
        tx.keys.save_version(kv)
        assert (v.version, k.version, kv.version) == (2, 2, 2)
    with db.transaction() as tx:
        assert tx.vaults.get(vault.id) == v
        assert tx.keys.get(key.id) == k
        assert tx.keys.get_version(version.id) == kv


@pytest.mark.parametrize("kind", ["vault", "key", "keyversion"])
def test_stale_save_conflicts_and_changes_nothing(db: Database, kind: str) -> None:
    vault = vault_of()
    key = key_of(vault)
    version = version_of(key)
    with db.transaction() as tx:
        tx.vaults.add(vault)
        tx.keys.add(key)
        tx.keys.add_version(version)

    def load(tx: Any) -> Any:
        if kind == "vault":
            return tx.vaults.get(vault.id)
        if kind == "key":
            return tx.keys.get(key.id)
        return tx.keys.get_version(version.id)

    def save(tx: Any, obj: Any) -> None:
        if kind == "vault":
            tx.vaults.save(obj)
        elif kind == "key":
            tx.keys.save(obj)
        else:
            tx.keys.save_version(obj)

    with db.transaction() as tx:
        first, second = load(tx), load(tx)
    first.lifecycle_state = State.DISABLED if kind != "vault" else State.PENDING_DELETION
    with db.transaction() as tx:
        save(tx, first)
    winner = replace(first)

    second.time_of_deletion = T0 + timedelta(days=20)
    with pytest.raises(Conflict), db.transaction() as tx:
        save(tx, second)
    assert second.version == 1  # a failed save does not bump the caller's copy

    with db.transaction() as tx:
        assert load(tx) == winner
        assert load(tx).version == 2


def test_save_of_a_missing_row_conflicts(db: Database) -> None:
    with pytest.raises(Conflict), db.transaction() as tx:
        tx.vaults.save(vault_of())
