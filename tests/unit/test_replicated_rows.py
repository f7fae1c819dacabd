"""The replicated-row codec (a stored row <-> JSON, by column type) and Changes."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from sqlalchemy import LargeBinary

from strongroom.storage import schema
from strongroom.storage.changes import Changes
from strongroom.storage.replicated_rows import (
    IDENTITY_TABLES,
    decode_row,
    encode_row,
    key_column,
    table_named,
)
from strongroom.storage.types import UTCDateTime

WHEN = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


def _sample(table: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column in table.columns:
        if isinstance(column.type, UTCDateTime):
            values[column.name] = WHEN
        elif isinstance(column.type, LargeBinary):
            values[column.name] = b"\x00\xffbytes"
        elif column.nullable:
            values[column.name] = None
        else:
            values[column.name] = f"{column.name}-value"
    return values


@pytest.mark.parametrize("table", IDENTITY_TABLES, ids=lambda t: t.name)
def test_round_trip_through_json(table: Any) -> None:
    values = _sample(table)
    encoded = encode_row(table, SimpleNamespace(**values))
    travelled = orjson.loads(orjson.dumps(encoded, option=orjson.OPT_NON_STR_KEYS))
    assert decode_row(table, travelled) == values
    assert table_named(table.name) is table
    assert key_column(table) in values


def test_datetimes_and_bytes_travel_as_text() -> None:
    table = schema.api_keys
    encoded = encode_row(table, SimpleNamespace(**_sample(table)))
    for column in table.columns:
        if isinstance(column.type, (UTCDateTime, LargeBinary)):
            assert isinstance(encoded[column.name], str)


def test_decode_refuses_missing_unknown_and_bad_values() -> None:
    table = schema.users
    good = encode_row(table, SimpleNamespace(**_sample(table)))
    missing = dict(good)
    missing.pop(next(iter(good)))
    with pytest.raises(ValueError, match="do not match"):
        decode_row(table, missing)
    with pytest.raises(ValueError, match="do not match"):
        decode_row(table, {**good, "extra": 1})
    times = [c.name for c in table.columns if isinstance(c.type, UTCDateTime)]
    with pytest.raises(ValueError):
        decode_row(table, {**good, times[0]: "not a time"})


def test_only_replicated_tables_are_named() -> None:
    with pytest.raises(KeyError):
        table_named("vaults")
    with pytest.raises(KeyError):
        table_named("realm_credentials")  # each region's own private keys never travel


def test_parents_come_before_children() -> None:
    names = [t.name for t in IDENTITY_TABLES]
    for table in IDENTITY_TABLES:
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            if parent in names and parent != table.name:
                assert names.index(parent) < names.index(table.name), (table.name, parent)


def test_changes_note_tables_and_rows() -> None:
    changes = Changes()
    assert not changes and changes.rows == {}
    changes.add("vaults")  # a cached table only: no row to ship
    changes.row("users", "u1")
    changes.row("users", "u1")
    changes.rows_of("groups", ["g1", "g2"])
    changes.rows_of("groups", ["g2", "g3"])
    assert set(changes) == {"vaults", "users", "groups"}
    assert changes.rows == {"users": {"u1"}, "groups": {"g1", "g2", "g3"}}
    assert isinstance(changes, set)
