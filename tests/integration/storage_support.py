"""The storage contract's backends (a SQLite file, and PostgreSQL) and row builders.

PostgreSQL is the server every developer and CI machine runs at 127.0.0.1:5432 (trust auth,
database ``test``); override with STRONGROOM_TEST_POSTGRES_URL. Each test module works in its
own schema (``sr_test_<random>``, selected with the libpq ``options=-csearch_path=...`` connect
argument), migrated with :func:`strongroom.storage.migrate.upgrade` and dropped at the end.
Tests share one migrated database per backend and module and stay independent by using fresh
OCIDs. The ``engine`` and ``db`` fixtures (tests/integration/conftest.py) run a test on each.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from strongroom.domain.ids import new_ocid
from strongroom.domain.key import Key, KeyVersion, Origin, ProtectionMode, make_shape
from strongroom.domain.lifecycle import State
from strongroom.domain.vault import Vault, VaultType
from strongroom.storage import migrate
from strongroom.storage.engine import make_engine

POSTGRES_URL = os.environ.get(
    "STRONGROOM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REGION = "us-test-1"
T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
IST = timezone(timedelta(hours=5, minutes=30))


# --- backends -------------------------------------------------------------------------------------


def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("contract") / "strongroom.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate.upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def postgresql_engine() -> Iterator[Engine]:
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


def backend_engine(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A freshly migrated database of ``kind`` ("sqlite" or "postgresql")."""
    if kind == "sqlite":
        yield from sqlite_engine(tmp_path_factory)
    else:
        yield from postgresql_engine()


# --- builders -------------------------------------------------------------------------------------


def ocid(kind: str) -> str:
    return new_ocid(kind, REGION, os.urandom)


def vault_of(
    tenancy: str | None = None,
    compartment: str | None = None,
    name: str = "vault",
    created: datetime = T0,
    **changes: Any,
) -> Vault:
    tenancy = tenancy or ocid("tenancy")
    vault = Vault(
        id=ocid("vault"),
        tenancy_id=tenancy,
        compartment_id=compartment or tenancy,
        display_name=name,
        vault_type=VaultType.DEFAULT,
        lifecycle_state=State.ACTIVE,
        time_created=created,
    )
    return replace(vault, **changes)


def key_of(vault: Vault, name: str = "key", created: datetime = T0, **changes: Any) -> Key:
    key = Key(
        id=ocid("key"),
        tenancy_id=vault.tenancy_id,
        compartment_id=vault.compartment_id,
        vault_id=vault.id,
        display_name=name,
        shape=make_shape("AES", 32, None),
        protection_mode=ProtectionMode.SOFTWARE,
        lifecycle_state=State.ENABLED,
        current_version_id=ocid("keyversion"),
        time_created=created,
    )
    return replace(key, **changes)


def version_of(key: Key, created: datetime = T0, **changes: Any) -> KeyVersion:
    version = KeyVersion(
        id=ocid("keyversion"),
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


def assert_utc(value: datetime | None) -> None:
    assert value is not None
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)
