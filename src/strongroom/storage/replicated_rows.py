"""The identity rows the home region replicates, as JSON: their tables (parents first) and a
codec between a stored row and a JSON object, by column type."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, LargeBinary, Table, delete, insert, select, update

from strongroom.storage import realm_schema, schema
from strongroom.storage.types import UTCDateTime

__all__ = [
    "IDENTITY_TABLES",
    "apply_change",
    "decode_row",
    "encode_row",
    "key_column",
    "read_change",
]

# Parents before the rows that refer to them: upserts go in this order, deletes in reverse.
IDENTITY_TABLES: tuple[Table, ...] = (
    schema.tenancies,
    realm_schema.realm_regions,
    schema.compartments,
    schema.users,
    schema.groups,
    schema.group_memberships,
    schema.api_keys,
    schema.dynamic_groups,
    schema.policies,
    schema.applications,
)
_BY_NAME = {t.name: t for t in IDENTITY_TABLES}


def table_named(name: str) -> Table:
    """The replicated table ``name``; KeyError for any other table."""
    return _BY_NAME[name]


def key_column(table: Table) -> str:
    """The name of the single-column primary key of a replicated table."""
    (column,) = table.primary_key.columns
    return column.name


def encode_row(table: Table, row: Any) -> dict[str, Any]:
    """A stored row as a JSON object."""
    out: dict[str, Any] = {}
    for column in table.columns:
        value = getattr(row, column.name)
        if value is not None and isinstance(column.type, UTCDateTime):
            value = value.isoformat()
        elif value is not None and isinstance(column.type, LargeBinary):
            value = base64.b64encode(bytes(value)).decode("ascii")
        out[column.name] = value
    return out


def decode_row(table: Table, data: dict[str, Any]) -> dict[str, Any]:
    """The column values of a JSON object made by :func:`encode_row` (ValueError when a
    column is missing or unknown)."""
    names = {c.name for c in table.columns}
    if set(data) != names:
        raise ValueError(f"{table.name}: columns {sorted(set(data) ^ names)} do not match")
    values: dict[str, Any] = {}
    for column in table.columns:
        value = data[column.name]
        if value is not None and isinstance(column.type, UTCDateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(column.type, LargeBinary):
            value = base64.b64decode(value, validate=True)
        values[column.name] = value
    return values


def read_change(conn: Connection, table: Table, key: str) -> dict[str, Any]:
    """The change to ship for row ``key`` of ``table``: its current value, or a deletion."""
    column = table.c[key_column(table)]
    row = conn.execute(select(table).where(column == key)).first()
    return {"table": table.name, "key": key, "row": encode_row(table, row) if row else None}


def apply_change(conn: Connection, table: Table, key: str, row: dict[str, Any] | None) -> None:
    """Make row ``key`` of ``table`` what the change says: deleted, or upserted."""
    column = table.c[key_column(table)]
    if row is None:
        conn.execute(delete(table).where(column == key))
        return
    values = decode_row(table, row)
    if values[column.name] != key:
        raise ValueError(f"{table.name}: the row's key is not {key}")
    if not conn.execute(update(table).where(column == key).values(values)).rowcount:
        conn.execute(insert(table).values(values))
