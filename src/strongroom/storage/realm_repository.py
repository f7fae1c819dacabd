"""The realm's tables: the region registry, join invites, this region's credentials, and the
replication outbox with its cursors (see services.replication)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, or_, select, text, update

from strongroom.storage import realm_schema
from strongroom.storage.changes import Changes
from strongroom.storage.replicated_rows import (
    IDENTITY_TABLES,
    apply_change,
    encode_row,
    read_change,
    table_named,
)

__all__ = [
    "CredentialRecord",
    "CursorRecord",
    "InviteRecord",
    "OutboxEntry",
    "RealmRepository",
    "RegionRecord",
    "capture_outbox",
]

REGIONS, INVITES, CREDS = (
    realm_schema.realm_regions,
    realm_schema.realm_invites,
    realm_schema.realm_credentials,
)
OUTBOX, CURSORS, INBOUND = (
    realm_schema.replication_outbox,
    realm_schema.replication_cursors,
    realm_schema.replication_inbound,
)
OUTBOX_TABLE = OUTBOX.name
# The shipper's and receiver's statements, built once (they run every round), run with
# parameters; where-clause parameters are prefixed so they never name a column.
_NEWEST = (
    select(OUTBOX.c.stream, OUTBOX.c.destination, func.max(OUTBOX.c.seq))
    .where(OUTBOX.c.seq > bindparam("w_after"))
    .group_by(OUTBOX.c.stream, OUTBOX.c.destination)
)
_OUTBOX_AFTER = (
    select(OUTBOX)
    .where(
        OUTBOX.c.stream == bindparam("w_stream"),
        OUTBOX.c.seq > bindparam("w_after"),
        or_(OUTBOX.c.destination.is_(None), OUTBOX.c.destination == bindparam("w_destination")),
    )
    .order_by(OUTBOX.c.seq)
    .limit(bindparam("w_limit"))
)
_WHERE_CURSOR = (
    CURSORS.c.destination == bindparam("w_destination"),
    CURSORS.c.stream == bindparam("w_stream"),
)
_CURSOR = select(CURSORS).where(*_WHERE_CURSOR)
_UPDATE_CURSOR = update(CURSORS).where(*_WHERE_CURSOR)
_WHERE_INBOUND = (
    INBOUND.c.source == bindparam("w_source"),
    INBOUND.c.stream == bindparam("w_stream"),
)
_APPLIED = select(INBOUND.c.applied_seq).where(*_WHERE_INBOUND)
_APPLIED_FOR_UPDATE = _APPLIED.with_for_update()
_UPDATE_INBOUND = update(INBOUND).where(*_WHERE_INBOUND)
_REGIONS = select(REGIONS).order_by(REGIONS.c.is_home.desc(), REGIONS.c.name)
_REGION = select(REGIONS).where(REGIONS.c.name == bindparam("w_name"))
# pg_advisory_xact_lock key of outbox writers: commit order is then sequence order.
_OUTBOX_LOCK = 0x5354524F4E47  # "STRONG"


@dataclass(frozen=True)
class RegionRecord:
    """A region of the realm as the registry holds it."""

    name: str
    url: str
    is_home: bool
    state: str  # ACTIVE | UNLINKED
    public_keys: list[dict[str, str]]
    time_created: datetime
    time_updated: datetime


@dataclass(frozen=True)
class InviteRecord:
    """A join token the home region issued (its SHA-256 only)."""

    id: str
    region: str
    url: str
    token_hash: str
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class CredentialRecord:
    """One of this region's signing keys (the private key sealed)."""

    fingerprint: str
    sealed_private_key: bytes
    state: str  # active | next | retired
    time_created: datetime


@dataclass(frozen=True)
class OutboxEntry:
    """A committed change to ship, in sequence order."""

    seq: int
    stream: str
    destination: str | None
    payload: dict[str, Any]
    time_created: datetime


@dataclass(frozen=True)
class CursorRecord:
    """How far a destination acknowledged a stream, and how the last attempt went."""

    destination: str
    stream: str
    acked_seq: int
    time_acked: datetime | None
    last_attempt: datetime | None
    last_error: str | None
    failures: int


def _region(row: Any) -> RegionRecord:
    return RegionRecord(
        row.name,
        row.url,
        bool(row.is_home),
        row.state,
        list(row.public_keys),
        row.time_created,
        row.time_updated,
    )


class RealmRepository:
    """Reads and writes of the realm's tables within one transaction."""

    def __init__(self, conn: Connection, touched: Changes | None = None) -> None:
        self._conn = conn
        self._touched = Changes() if touched is None else touched

    # The region registry (replicated: writes are noted as rows)
    def regions(self) -> list[RegionRecord]:
        """Every region, the home region first."""
        return [_region(r) for r in self._conn.execute(_REGIONS)]

    def region(self, name: str) -> RegionRecord | None:
        row = self._conn.execute(_REGION, {"w_name": name}).first()
        return _region(row) if row else None

    def save_region(self, region: RegionRecord) -> None:
        """Insert or replace ``region``'s registry row."""
        values = {
            "name": region.name,
            "url": region.url,
            "is_home": region.is_home,
            "state": region.state,
            "public_keys": region.public_keys,
            "time_created": region.time_created,
            "time_updated": region.time_updated,
        }
        self._touched.row(REGIONS.name, region.name)
        if not self._conn.execute(
            update(REGIONS).where(REGIONS.c.name == region.name).values(values)
        ).rowcount:
            self._conn.execute(insert(REGIONS).values(values))

    # Invites (home region only)
    def add_invite(self, invite: InviteRecord, now: datetime) -> None:
        values = {
            "id": invite.id,
            "region": invite.region,
            "url": invite.url,
            "token_hash": invite.token_hash,
            "expires_at": invite.expires_at,
            "used_at": None,
            "time_created": now,
        }
        self._conn.execute(insert(INVITES).values(values))

    def invite(self, invite_id: str, for_update: bool = False) -> InviteRecord | None:
        query = select(INVITES).where(INVITES.c.id == invite_id)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        if row is None:
            return None
        return InviteRecord(
            row.id, row.region, row.url, row.token_hash, row.expires_at, row.used_at
        )

    def use_invite(self, invite_id: str, now: datetime) -> bool:
        """Mark the invite used; False when it already was (another join won)."""
        query = (
            update(INVITES)
            .where(INVITES.c.id == invite_id, INVITES.c.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(self._conn.execute(query).rowcount)

    # This region's credentials
    def credentials(self) -> list[CredentialRecord]:
        query = select(CREDS).order_by(CREDS.c.time_created)
        return [
            CredentialRecord(r.fingerprint, bytes(r.private_key), r.state, r.time_created)
            for r in self._conn.execute(query)
        ]

    def add_credential(self, record: CredentialRecord) -> None:
        values = {
            "fingerprint": record.fingerprint,
            "private_key": record.sealed_private_key,
            "state": record.state,
            "time_created": record.time_created,
        }
        self._conn.execute(insert(CREDS).values(values))
        self._touched.add(CREDS.name)

    def set_credential_state(self, fingerprint: str, state: str) -> None:
        self._conn.execute(
            update(CREDS).where(CREDS.c.fingerprint == fingerprint).values(state=state)
        )
        self._touched.add(CREDS.name)

    def delete_credential(self, fingerprint: str) -> None:
        self._conn.execute(delete(CREDS).where(CREDS.c.fingerprint == fingerprint))
        self._touched.add(CREDS.name)

    # The outbox (sender's side)
    def lock_outbox(self) -> None:
        """Hold the outbox writers' lock until commit (PostgreSQL; SQLite writers take turns
        anyway): no other identity change commits meanwhile."""
        if self._conn.dialect.name == "postgresql":
            self._conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _OUTBOX_LOCK})

    def outbox_after(
        self, stream: str, destination: str, after: int, limit: int
    ) -> list[OutboxEntry]:
        """Entries of ``stream`` for ``destination`` with a sequence number above ``after``."""
        found = self._conn.execute(
            _OUTBOX_AFTER,
            {"w_stream": stream, "w_destination": destination, "w_after": after, "w_limit": limit},
        )
        return [
            OutboxEntry(r.seq, r.stream, r.destination, dict(r.payload), r.time_created)
            for r in found
        ]

    def newest_by_destination(self, after: int = 0) -> dict[tuple[str, str | None], int]:
        """The newest sequence number of each stream, by destination (None: every region),
        among the entries above ``after`` (an index range: entries commit in sequence order,
        so a caller that keeps what it saw need only ask for what is newer)."""
        return {(r[0], r[1]): int(r[2]) for r in self._conn.execute(_NEWEST, {"w_after": after})}

    def last_seq(self, stream: str) -> int:
        """The newest sequence number of ``stream`` (0 when none was ever written)."""
        value = self._conn.execute(select(func.max(OUTBOX.c.seq)).where(OUTBOX.c.stream == stream))
        return int(value.scalar() or 0)

    def first_unacked_time(self, stream: str, destination: str, after: int) -> datetime | None:
        """When the oldest entry ``destination`` has not acknowledged was written."""
        query = select(func.min(OUTBOX.c.time_created)).where(
            OUTBOX.c.stream == stream,
            OUTBOX.c.seq > after,
            or_(OUTBOX.c.destination.is_(None), OUTBOX.c.destination == destination),
        )
        value: datetime | None = self._conn.execute(query).scalar()
        return value

    def prune_outbox(
        self, stream: str, through: int, written_before: datetime, destination: str | None = None
    ) -> int:
        """Delete entries every destination has (sequence up to ``through``) and were written
        before ``written_before``; how many. The newest entry of the table stays: SQLite would
        otherwise hand out its sequence numbers again (receivers would skip the new entries as
        applied), and ``last_seq`` would go back to 0."""
        newest = self._conn.execute(select(func.max(OUTBOX.c.seq))).scalar() or 0
        addressed = (
            OUTBOX.c.destination.is_(None)
            if destination is None
            else OUTBOX.c.destination == destination
        )
        query = delete(OUTBOX).where(
            OUTBOX.c.stream == stream,
            addressed,
            OUTBOX.c.seq <= min(through, newest - 1),
            OUTBOX.c.time_created < written_before,
        )
        return int(self._conn.execute(query).rowcount or 0)

    def cursor(self, destination: str, stream: str) -> CursorRecord:
        row = self._conn.execute(
            _CURSOR, {"w_destination": destination, "w_stream": stream}
        ).first()
        if row is None:
            return CursorRecord(destination, stream, 0, None, None, None, 0)
        return CursorRecord(
            row.destination,
            row.stream,
            row.acked_seq,
            row.time_acked,
            row.last_attempt,
            row.last_error,
            row.failures,
        )

    def save_cursor(self, cursor: CursorRecord) -> None:
        values = {
            "destination": cursor.destination,
            "stream": cursor.stream,
            "acked_seq": cursor.acked_seq,
            "time_acked": cursor.time_acked,
            "last_attempt": cursor.last_attempt,
            "last_error": cursor.last_error,
            "failures": cursor.failures,
        }
        where = {"w_destination": cursor.destination, "w_stream": cursor.stream}
        if not self._conn.execute(_UPDATE_CURSOR, {**values, **where}).rowcount:
            self._conn.execute(insert(CURSORS).values(values))

    # The receiver's side
    def applied_seq(self, source: str, stream: str, for_update: bool = False) -> int:
        """How far this region applied ``source``'s ``stream`` (the row locked with
        ``for_update``: appliers of one stream then take turns)."""
        query = _APPLIED_FOR_UPDATE if for_update else _APPLIED
        value = self._conn.execute(query, {"w_source": source, "w_stream": stream}).scalar()
        return int(value or 0)

    def inbound(self) -> list[tuple[str, str, int, datetime | None]]:
        """(source, stream, applied sequence, when) for every stream this region receives."""
        query = select(INBOUND).order_by(INBOUND.c.source, INBOUND.c.stream)
        rows = self._conn.execute(query)
        return [(r.source, r.stream, r.applied_seq, r.time_applied) for r in rows]

    def set_applied_seq(self, source: str, stream: str, seq: int, now: datetime) -> None:
        values = {"source": source, "stream": stream, "applied_seq": seq, "time_applied": now}
        where = {"w_source": source, "w_stream": stream}
        if not self._conn.execute(_UPDATE_INBOUND, {**values, **where}).rowcount:
            self._conn.execute(insert(INBOUND).values(values))

    def apply_changes(self, changes: list[dict[str, Any]]) -> None:
        """Apply one outbox entry's row changes: deletions children first, then upserts
        parents first (ValueError or KeyError for a change that names no replicated table or
        does not fit it)."""
        order = {t.name: i for i, t in enumerate(IDENTITY_TABLES)}
        parsed = [(table_named(c["table"]), str(c["key"]), c["row"]) for c in changes]
        deletions = [c for c in parsed if c[2] is None]
        upserts = [c for c in parsed if c[2] is not None]
        for table, key, row in sorted(deletions, key=lambda c: -order[c[0].name]):
            apply_change(self._conn, table, key, row)
            self._touched.add(table.name)
        for table, key, row in sorted(upserts, key=lambda c: order[c[0].name]):
            apply_change(self._conn, table, key, row)
            self._touched.add(table.name)

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every replicated identity row, by table (parents first)."""
        return {
            table.name: [encode_row(table, r) for r in self._conn.execute(select(table))]
            for table in IDENTITY_TABLES
        }


def capture_outbox(conn: Connection, changes: Changes, stream: str, now: datetime) -> int | None:
    """In the transaction about to commit: write one outbox entry of ``stream`` with the
    current value (or deletion) of every replicated row ``changes`` names; its sequence
    number, or None when no replicated row changed. On PostgreSQL, outbox writers take turns
    until commit, so entries commit in sequence order (a reader never sees a gap fill later)."""
    listed = [
        read_change(conn, table, key)
        for table in IDENTITY_TABLES
        for key in sorted(changes.rows.get(table.name, ()))
    ]
    if not listed:
        return None
    RealmRepository(conn, changes).lock_outbox()
    values = {"stream": stream, "destination": None, "payload": {"changes": listed}}
    result = conn.execute(insert(OUTBOX).values(time_created=now, **values).returning(OUTBOX.c.seq))
    changes.add(OUTBOX_TABLE)
    return int(result.scalar_one())
