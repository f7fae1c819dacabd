"""The storage contract: one suite, run against every backend (SQLite file and PostgreSQL).

PostgreSQL is the server every developer and CI machine runs at 127.0.0.1:5432 (trust auth,
database ``test``); override with STRONGROOM_TEST_POSTGRES_URL. Each test session works in its
own schema (``sr_test_<random>``, selected with the libpq ``options=-csearch_path=...`` connect
argument), migrated with :func:`strongroom.storage.migrate.upgrade` and dropped at the end.
Tests share one migrated database per backend and stay independent by using fresh OCIDs.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from strongroom.barrier.barrier import Barrier
from strongroom.barrier.master_key import InternalMasterKey
from strongroom.domain.ekm import EkmHealth, EkmHealthState, ExternalKeyManager
from strongroom.domain.errors import Conflict
from strongroom.domain.identity import ApiKey, Group, Tenancy, User
from strongroom.domain.ids import new_ocid
from strongroom.domain.key import Key, KeyVersion, Origin, ProtectionMode, make_shape
from strongroom.domain.lifecycle import State
from strongroom.domain.paging import PageRequest, cut
from strongroom.domain.vault import Vault, VaultType
from strongroom.storage import migrate, schema
from strongroom.storage.engine import make_engine
from strongroom.storage.idempotency_repository import StoredResponse
from strongroom.storage.unit_of_work import Database

POSTGRES_URL = os.environ.get(
    "STRONGROOM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REGION = "us-test-1"
T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
IST = timezone(timedelta(hours=5, minutes=30))


# --- backends -------------------------------------------------------------------------------------


def _sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("contract") / "strongroom.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def _postgresql() -> Iterator[Engine]:
    admin = create_engine(
        POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as error:
        admin.dispose()
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable: {reason}")
    schema_name = f"sr_test_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema_name}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema_name}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    engine.info_schema = schema_name  # type: ignore[attr-defined]
    try:
        migrate.upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema_name}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A freshly migrated database of each kind, shared by the tests of this module."""
    if request.param == "sqlite":
        yield from _sqlite(tmp_path_factory)
    else:
        yield from _postgresql()


@pytest.fixture
def db(engine: Engine) -> Database:
    return Database(engine)


# --- builders -------------------------------------------------------------------------------------


def _ocid(kind: str) -> str:
    return new_ocid(kind, REGION, os.urandom)


def _vault(
    tenancy: str | None = None,
    compartment: str | None = None,
    name: str = "vault",
    created: datetime = T0,
    **changes: Any,
) -> Vault:
    tenancy = tenancy or _ocid("tenancy")
    vault = Vault(
        id=_ocid("vault"),
        tenancy_id=tenancy,
        compartment_id=compartment or tenancy,
        display_name=name,
        vault_type=VaultType.DEFAULT,
        lifecycle_state=State.ACTIVE,
        time_created=created,
    )
    return replace(vault, **changes)


def _key(vault: Vault, name: str = "key", created: datetime = T0, **changes: Any) -> Key:
    key = Key(
        id=_ocid("key"),
        tenancy_id=vault.tenancy_id,
        compartment_id=vault.compartment_id,
        vault_id=vault.id,
        display_name=name,
        shape=make_shape("AES", 32, None),
        protection_mode=ProtectionMode.SOFTWARE,
        lifecycle_state=State.ENABLED,
        current_version_id=_ocid("keyversion"),
        time_created=created,
    )
    return replace(key, **changes)


def _version(key: Key, created: datetime = T0, **changes: Any) -> KeyVersion:
    version = KeyVersion(
        id=_ocid("keyversion"),
        key_id=key.id,
        tenancy_id=key.tenancy_id,
        compartment_id=key.compartment_id,
        vault_id=key.vault_id,
        lifecycle_state=State.ENABLED,
        origin=Origin.INTERNAL,
        time_created=created,
        material=os.urandom(60),
    )
    return replace(version, **changes)


def _assert_utc(value: datetime | None) -> None:
    assert value is not None
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)


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
    vault = _vault()
    with db.transaction() as tx:
        tx.vaults.add(vault)
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert _alembic_versions(engine) == [_head()]
    with db.transaction() as tx:
        assert tx.vaults.get(vault.id) == vault


# --- vaults, keys, key versions -------------------------------------------------------------------


def test_vault_round_trip_preserves_every_field(db: Database) -> None:
    vault = _vault(
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
    _assert_utc(loaded.time_created)
    _assert_utc(loaded.time_of_deletion)
    assert loaded.time_created == datetime(2026, 2, 3, 3, 38, 7, 123456, tzinfo=UTC)
    assert loaded.defined_tags["Ops"]["b"] is True
    assert isinstance(loaded.defined_tags["Ops"]["n"], int)


def test_vault_round_trip_with_defaults(db: Database) -> None:
    vault = _vault(name="x" * 255)
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
    vault = _vault()
    key = _key(
        vault,
        name="signing key",
        shape=make_shape(algorithm, length, curve),
        protection_mode=mode,
        lifecycle_state=State.PENDING_DELETION,
        time_created=datetime(2026, 1, 1, 23, 59, 59, 1, tzinfo=IST),
        time_of_deletion=T0 + timedelta(days=7, microseconds=5),
        freeform_tags={"a": "b"},
        defined_tags={"ns": {"k": "v", "n": 0}},
    )
    with db.transaction() as tx:
        tx.vaults.add(vault)
        tx.keys.add(key)
    with db.transaction() as tx:
        loaded = tx.keys.get(key.id)
    assert loaded == key
    assert loaded is not None
    _assert_utc(loaded.time_created)
    _assert_utc(loaded.time_of_deletion)


@pytest.mark.parametrize(
    "public_key_pem", [None, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]
)
def test_key_version_round_trip_preserves_every_field(
    db: Database, public_key_pem: str | None
) -> None:
    vault = _vault()
    key = _key(vault)
    version = _version(
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
    _assert_utc(loaded.time_created)


def test_external_vault_key_and_version_round_trip(db: Database) -> None:
    ekm = ExternalKeyManager(
        endpoint_url="https://ekm.example:8443/v1/vaults/v-1",
        client_app_id="app-1",
        sealed_client_secret=bytes(range(256)),
        idp_url="https://idp.example/",
        private_endpoint_id="ocid1.ekmsprivateendpoint.oc1..aaaa",
    )
    vault = _vault(vault_type=VaultType.EXTERNAL, external=ekm)
    key = _key(
        vault,
        protection_mode=ProtectionMode.EXTERNAL,
        external_key_id="ext-key/1",
        external_key_version_id="ext-version-7",
    )
    version = _version(
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
    vault = _vault()
    key = _key(vault)
    version = _version(key)
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
    vault = _vault(vault_type=VaultType.EXTERNAL)
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
        assert tx.vaults.get(_ocid("vault")) is None
        assert tx.keys.get(_ocid("key")) is None
        assert tx.keys.get_version(_ocid("keyversion")) is None


def test_save_persists_changes_and_bumps_the_version(db: Database) -> None:
    vault = _vault()
    key = _key(vault)
    version = _version(key)
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
    vault = _vault()
    key = _key(vault)
    version = _version(key)
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
        tx.vaults.save(_vault())


# --- listing --------------------------------------------------------------------------------------


NAMES = ["delta", "alpha", "golf", "charlie", "foxtrot", "bravo", "echo"]


@pytest.fixture
def listed(db: Database) -> list[Vault]:
    """Seven vaults in one fresh compartment, created a minute apart, names out of order."""
    tenancy = _ocid("tenancy")
    vaults = [
        _vault(tenancy, tenancy, name, T0 + timedelta(minutes=i)) for i, name in enumerate(NAMES)
    ]
    with db.transaction() as tx:
        for vault in vaults:
            tx.vaults.add(vault)
    return vaults


def _walk(
    db: Database, vault: Vault, sort_by: str, descending: bool, limit: int
) -> list[list[str]]:
    """Follow next_offset through every page, as the API does with page tokens."""
    pages: list[list[str]] = []
    offset: int | None = 0
    while offset is not None:
        page = PageRequest(limit=limit, offset=offset, sort_by=sort_by, descending=descending)
        with db.transaction() as tx:
            found = tx.vaults.list(vault.tenancy_id, vault.compartment_id, page)
        assert len(found) <= limit + 1
        window = cut(found, page)
        pages.append([v.display_name for v in window.items])
        offset = window.next_offset
        assert len(pages) < 20
    return pages


@pytest.mark.parametrize(
    ("sort_by", "descending", "expected"),
    [
        ("TIMECREATED", False, NAMES),
        ("TIMECREATED", True, NAMES[::-1]),
        ("DISPLAYNAME", False, sorted(NAMES)),
        ("DISPLAYNAME", True, sorted(NAMES, reverse=True)),
    ],
)
@pytest.mark.parametrize("limit", [1, 3, 7, 100])
def test_list_pages_in_order(
    db: Database,
    listed: list[Vault],
    sort_by: str,
    descending: bool,
    expected: list[str],
    limit: int,
) -> None:
    pages = _walk(db, listed[0], sort_by, descending, limit)
    assert [name for page in pages for name in page] == expected
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages) == max(1, -(-len(NAMES) // limit))


def test_list_windows_by_offset(db: Database, listed: list[Vault]) -> None:
    anchor = listed[0]
    with db.transaction() as tx:
        window = tx.vaults.list(
            anchor.tenancy_id, anchor.compartment_id, PageRequest(limit=2, offset=3)
        )
        beyond = tx.vaults.list(
            anchor.tenancy_id, anchor.compartment_id, PageRequest(limit=2, offset=7)
        )
        last = tx.vaults.list(
            anchor.tenancy_id, anchor.compartment_id, PageRequest(limit=2, offset=6)
        )
    assert [v.display_name for v in window] == NAMES[3:6]  # limit + 1 rows
    assert beyond == []
    assert [v.display_name for v in last] == NAMES[6:]


def test_list_breaks_ties_by_id(db: Database) -> None:
    tenancy = _ocid("tenancy")
    same = [_vault(tenancy, tenancy, "same", T0) for _ in range(4)]
    with db.transaction() as tx:
        for vault in same:
            tx.vaults.add(vault)
    ids = sorted(v.id for v in same)
    for sort_by in ("TIMECREATED", "DISPLAYNAME"):
        with db.transaction() as tx:
            asc = tx.vaults.list(tenancy, tenancy, PageRequest(sort_by=sort_by))
            desc = tx.vaults.list(tenancy, tenancy, PageRequest(sort_by=sort_by, descending=True))
        assert [v.id for v in asc] == ids
        assert [v.id for v in desc] == ids[::-1]


def test_display_name_order_is_case_sensitive_code_point_order(db: Database) -> None:
    """OCI sorts DISPLAYNAME case-sensitively; both backends must agree on one order.

    A PostgreSQL database created with a linguistic collation (en_US.UTF-8) would sort
    "a" before "B" and fail here, while SQLite always compares bytes.
    """
    tenancy = _ocid("tenancy")
    names = ["b", "B", "a", "A", "_x", "Zed", "zed", "10", "9", "é"]
    with db.transaction() as tx:
        for name in names:
            tx.vaults.add(_vault(tenancy, tenancy, name))
        found = tx.vaults.list(tenancy, tenancy, PageRequest(sort_by="DISPLAYNAME", limit=50))
    assert [v.display_name for v in found] == sorted(names)


def test_vault_list_is_scoped_to_tenancy_and_compartment(db: Database) -> None:
    tenancy = _ocid("tenancy")
    compartment = _ocid("compartment")
    mine = _vault(tenancy, compartment, "mine")
    others = [
        _vault(tenancy, tenancy, "root compartment"),
        _vault(_ocid("tenancy"), compartment, "same compartment id, other tenancy"),
        _vault(tenancy, _ocid("compartment"), "other compartment"),
    ]
    with db.transaction() as tx:
        for vault in [mine, *others]:
            tx.vaults.add(vault)
        found = tx.vaults.list(tenancy, compartment, PageRequest())
    assert found == [mine]


def test_key_list_filters(db: Database) -> None:
    vault = _vault()
    other_compartment = _ocid("compartment")
    keys = {
        "aes": _key(vault, "aes", T0),
        "aes-hsm": _key(
            vault, "aes-hsm", T0 + timedelta(seconds=1), protection_mode=ProtectionMode.HSM
        ),
        "rsa": _key(vault, "rsa", T0 + timedelta(seconds=2), shape=make_shape("RSA", 256, None)),
        "p256": _key(vault, "p256", T0 + timedelta(seconds=3), shape=make_shape("ECDSA", 32, None)),
        "p384-off": _key(
            vault,
            "p384-off",
            T0 + timedelta(seconds=4),
            shape=make_shape("ECDSA", 48, None),
            lifecycle_state=State.DISABLED,
        ),
        "elsewhere": _key(
            vault, "elsewhere", T0 + timedelta(seconds=5), compartment_id=other_compartment
        ),
    }
    other_vault = _vault(vault.tenancy_id, vault.compartment_id)
    with db.transaction() as tx:
        tx.vaults.add(vault)
        tx.vaults.add(other_vault)
        for key in keys.values():
            tx.keys.add(key)
        tx.keys.add(_key(other_vault, "other vault"))

    def names(filters: dict[str, Any], compartment: str = vault.compartment_id) -> list[str]:
        with db.transaction() as tx:
            found = tx.keys.list(vault.id, compartment, PageRequest(), filters)
        return [k.display_name for k in found]

    assert names({}) == ["aes", "aes-hsm", "rsa", "p256", "p384-off"]
    assert names({"protection_mode": "HSM"}) == ["aes-hsm"]
    assert names({"protection_mode": "SOFTWARE"}) == ["aes", "rsa", "p256", "p384-off"]
    assert names({"algorithm": "ECDSA"}) == ["p256", "p384-off"]
    assert names({"algorithm": "ECDSA", "curve_id": "NIST_P384"}) == ["p384-off"]
    assert names({"algorithm": "AES", "length": 32}) == ["aes", "aes-hsm"]
    assert names({"length": 16}) == []
    assert names({"lifecycle_state": "DISABLED"}) == ["p384-off"]
    assert names({"algorithm": "RSA", "protection_mode": "HSM"}) == []
    assert names({}, other_compartment) == ["elsewhere"]
    with db.transaction() as tx:
        assert tx.keys.count_in_vault(vault.id) == 6
        assert tx.keys.count_in_vault(other_vault.id) == 1
        assert tx.keys.count_in_vault(_ocid("vault")) == 0


def test_key_versions_list_in_order(db: Database) -> None:
    vault = _vault()
    key = _key(vault)
    other = _key(vault)
    versions = [_version(key, T0 + timedelta(days=i)) for i in range(5)]
    with db.transaction() as tx:
        tx.vaults.add(vault)
        tx.keys.add(key)
        tx.keys.add(other)
        for version in reversed(versions):
            tx.keys.add_version(version)
        tx.keys.add_version(_version(other))
    with db.transaction() as tx:
        asc = tx.keys.list_versions(key.id, PageRequest(limit=10))
        desc = tx.keys.list_versions(key.id, PageRequest(limit=2, descending=True))
        second = tx.keys.list_versions(key.id, PageRequest(limit=2, offset=2, descending=True))
    assert asc == versions
    assert [v.id for v in desc] == [v.id for v in versions[::-1][:3]]
    assert [v.id for v in second] == [v.id for v in versions[::-1][2:5]]


# --- referential integrity ------------------------------------------------------------------------


def test_foreign_keys_are_enforced(db: Database) -> None:
    orphan_key = _key(_vault())  # its vault was never stored
    with pytest.raises(IntegrityError), db.transaction() as tx:
        tx.keys.add(orphan_key)
    with db.transaction() as tx:
        assert tx.keys.get(orphan_key.id) is None


def test_duplicate_ids_are_refused(db: Database) -> None:
    vault = _vault()
    with db.transaction() as tx:
        tx.vaults.add(vault)
    with pytest.raises(IntegrityError), db.transaction() as tx:
        tx.vaults.add(replace(vault, display_name="again"))
    with db.transaction() as tx:
        assert tx.vaults.get(vault.id) == vault


# --- identity -------------------------------------------------------------------------------------


def test_identity_repository_round_trip(db: Database) -> None:
    tenancy = Tenancy(_ocid("tenancy"), "acme", REGION, T0)
    alice = User(_ocid("user"), tenancy.id, "alice", "Alice — admin", "ACTIVE", T0)
    bob = User(_ocid("user"), tenancy.id, "bob", "", "INACTIVE", T0 + timedelta(hours=1))
    admins = Group(_ocid("group"), tenancy.id, "Administrators", "all powers", T0)
    auditors = Group(_ocid("group"), tenancy.id, "Auditors", "", T0)
    fingerprint = ":".join(secrets.token_hex(1) for _ in range(16))
    key_id = f"{tenancy.id}/{alice.id}/{fingerprint}"
    api_key = ApiKey(
        alice.id, tenancy.id, fingerprint, "-----BEGIN PUBLIC KEY-----\n...\n", "ACTIVE", T0
    )
    with db.transaction() as tx:
        tx.identity.add_tenancy(tenancy)
        tx.identity.add_user(alice)
        tx.identity.add_user(bob)
        tx.identity.add_group(admins)
        tx.identity.add_group(auditors)
        tx.identity.add_membership(_ocid("groupmembership"), admins, alice)
        tx.identity.add_membership(_ocid("groupmembership"), auditors, alice)
        tx.identity.add_membership(_ocid("groupmembership"), auditors, bob)
        tx.identity.add_api_key(key_id, api_key)
    with db.transaction() as tx:
        assert tx.identity.get_tenancy(tenancy.id) == tenancy
        assert tx.identity.get_user(alice.id) == alice
        assert tx.identity.get_user(bob.id) == bob
        loaded_key = tx.identity.get_api_key(key_id)
        assert loaded_key == api_key
        assert loaded_key is not None
        _assert_utc(loaded_key.time_created)
        assert sorted(tx.identity.groups_of(alice.id), key=lambda g: g.name) == [admins, auditors]
        assert tx.identity.groups_of(bob.id) == [auditors]
        assert tx.identity.groups_of(_ocid("user")) == []
        assert tx.identity.get_tenancy(_ocid("tenancy")) is None
        assert tx.identity.get_user(_ocid("user")) is None
        assert tx.identity.get_api_key(f"{tenancy.id}/{alice.id}/00:00") is None


def test_identity_uniqueness_and_references(db: Database) -> None:
    tenancy = Tenancy(_ocid("tenancy"), "uniq", REGION, T0)
    alice = User(_ocid("user"), tenancy.id, "alice", "", "ACTIVE", T0)
    group = Group(_ocid("group"), tenancy.id, "g", "", T0)
    with db.transaction() as tx:
        tx.identity.add_tenancy(tenancy)
        tx.identity.add_user(alice)
        tx.identity.add_group(group)
        tx.identity.add_membership(_ocid("groupmembership"), group, alice)
    attempts = [
        lambda tx: tx.identity.add_user(replace(alice, id=_ocid("user"))),  # same name
        lambda tx: tx.identity.add_group(replace(group, id=_ocid("group"))),  # same name
        lambda tx: tx.identity.add_membership(_ocid("groupmembership"), group, alice),  # twice
        lambda tx: tx.identity.add_user(
            User(_ocid("user"), _ocid("tenancy"), "ghost", "", "ACTIVE", T0)
        ),  # unknown tenancy
    ]
    for attempt in attempts:
        with pytest.raises(IntegrityError), db.transaction() as tx:
            attempt(tx)
    with db.transaction() as tx:
        assert tx.identity.groups_of(alice.id) == [group]


# --- idempotency records --------------------------------------------------------------------------


def test_idempotency_repository(db: Database) -> None:
    principal = f"{_ocid('tenancy')}/{_ocid('user')}"
    token = secrets.token_hex(16)
    first = StoredResponse("a" * 64, 200, b"\x00sealed\xff", {"etag": "e1", "opc-x": "ü"})
    with db.transaction() as tx:
        tx.idempotency.put(principal, token, first, T0)
    with db.transaction() as tx:
        assert tx.idempotency.get(principal, token, T0 - timedelta(hours=24)) == first
        assert tx.idempotency.get(principal, token, T0) == first  # not_before is inclusive
        assert tx.idempotency.get(principal, token, T0 + timedelta(microseconds=1)) is None
        assert tx.idempotency.get(principal + "x", token, T0 - timedelta(days=1)) is None
        assert tx.idempotency.get(principal, token + "x", T0 - timedelta(days=1)) is None

    second = StoredResponse("b" * 64, 201, b"", {})
    with db.transaction() as tx:
        tx.idempotency.put(principal, token, second, T0 + timedelta(hours=1))
    with db.transaction() as tx:
        assert tx.idempotency.get(principal, token, T0) == second


def test_idempotency_purge(db: Database) -> None:
    principal = f"{_ocid('tenancy')}/{_ocid('user')}"
    base = datetime(1999, 1, 1, tzinfo=UTC)  # older than anything other tests store
    response = StoredResponse("c" * 64, 200, b"{}", {})
    with db.transaction() as tx:
        for hours in range(5):
            tx.idempotency.put(principal, f"t{hours}", response, base + timedelta(hours=hours))
    with db.transaction() as tx:
        assert tx.idempotency.purge(base + timedelta(hours=3)) == 3
    with db.transaction() as tx:
        remaining = [
            t for t in (f"t{h}" for h in range(5)) if tx.idempotency.get(principal, t, base)
        ]
        assert remaining == ["t3", "t4"]
        assert tx.idempotency.purge(base) == 0


# --- barrier keyring store ------------------------------------------------------------------------


def test_keyring_store(db: Database) -> None:
    with db.engine.begin() as conn:  # start from an empty store whatever ran before
        conn.execute(schema.barrier_keyring.delete())
    assert db.load_keyring() is None
    db.save_keyring(b"\x00wrapped-1", "mk-1")
    assert db.load_keyring() == (b"\x00wrapped-1", "mk-1")
    db.save_keyring(b"wrapped-2", "mk-2")
    assert db.load_keyring() == (b"wrapped-2", "mk-2")
    with db.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(schema.barrier_keyring)).scalar_one()
    assert count == 1


def test_barrier_unseals_from_the_database(db: Database) -> None:
    """Two processes sharing the database share the keyring (the store is the KeyringStore port)."""
    master = InternalMasterKey(os.urandom(32), "mk-contract")
    first = Barrier()
    first.initialize(master, db)
    blob = first.seal(b"key material", "key_versions/kv/material")
    second = Barrier()
    second.unseal(master, db)
    assert second.open(blob, "key_versions/kv/material") == b"key material"
    stored = db.load_keyring()
    assert stored is not None
    assert stored[1] == "mk-contract"


# --- transactions ---------------------------------------------------------------------------------


def test_a_transaction_that_raises_rolls_back(db: Database) -> None:
    vault = _vault()
    key = _key(vault)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.transaction() as tx:
        tx.vaults.add(vault)
        tx.keys.add(key)
        assert tx.vaults.get(vault.id) == vault  # visible inside the transaction
        raise Boom
    with db.transaction() as tx:
        assert tx.vaults.get(vault.id) is None
        assert tx.keys.get(key.id) is None


def test_a_conflict_rolls_back_earlier_writes_in_the_transaction(db: Database) -> None:
    vault = _vault()
    with db.transaction() as tx:
        tx.vaults.add(vault)
    newcomer = _vault(vault.tenancy_id)
    stale = replace(vault, display_name="stale", version=vault.version + 5)
    with pytest.raises(Conflict), db.transaction() as tx:
        tx.vaults.add(newcomer)
        tx.vaults.save(stale)
    with db.transaction() as tx:
        assert tx.vaults.get(newcomer.id) is None
        assert tx.vaults.get(vault.id) == vault


def test_committed_writes_are_visible_to_the_next_transaction(db: Database) -> None:
    vault = _vault()
    with db.transaction() as tx:
        tx.vaults.add(vault)
    with db.engine.connect() as conn:
        row = conn.execute(
            select(schema.vaults.c.display_name).where(schema.vaults.c.id == vault.id)
        ).first()
    assert row is not None
    assert row.display_name == vault.display_name


# --- audit events (bulk driver-level insert) ------------------------------------------------------


def test_audit_events_round_trip_in_time_order(db: Database) -> None:
    from strongroom.domain.identity import AuditEvent

    tenancy = _ocid("tenancy")
    base = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    events = [
        AuditEvent(
            id=os.urandom(8).hex(),
            time=base + timedelta(seconds=i),
            tenancy_id=tenancy,
            principal_id=None if i == 0 else _ocid("user"),
            principal_type="user",
            operation=f"Op{i}",
            resource_id=None,
            compartment_id=tenancy,
            decision="allowed",
            status=200 + i,
            request_id=f"r{i}",
            source="127.0.0.1",
        )
        for i in range(3)
    ]
    with db.transaction() as tx:
        tx.iam.add_audit_events(list(reversed(events)))
        tx.iam.add_audit_events([])
    with db.transaction(read_only=True) as tx:
        found = tx.iam.audit_events(tenancy, base, base + timedelta(seconds=2), 10, 0)
    assert [e.operation for e in found] == ["Op0", "Op1"]
    assert found[0].time == base
    assert found[0].principal_id is None and found[1].status == 201


def test_audit_batches_larger_than_one_statement_are_stored_whole(db: Database) -> None:
    from strongroom.domain.identity import AuditEvent

    tenancy = _ocid("tenancy")
    base = datetime(2026, 6, 1, tzinfo=UTC)
    events = [
        AuditEvent(
            id=f"{i:08d}",
            time=base + timedelta(milliseconds=i),
            tenancy_id=tenancy,
            principal_id=None,
            principal_type=None,
            operation="Encrypt",
            resource_id=None,
            compartment_id=None,
            decision="allowed",
            status=200,
            request_id=str(i),
            source=None,
        )
        for i in range(1201)
    ]
    with db.transaction() as tx:
        tx.iam.add_audit_events(events)
    with db.transaction(read_only=True) as tx:
        found = tx.iam.audit_events(tenancy, base, base + timedelta(hours=1), 5000, 0)
    assert [e.id for e in found] == [e.id for e in events]
