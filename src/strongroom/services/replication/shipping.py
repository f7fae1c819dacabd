"""Shipping a stream to a region (the sender's side): the entries its cursor has not
acknowledged, in sequence order, a batch per call; the cursor moves when the region answers
how far it applied. Failures are recorded on the cursor (what ``region list`` shows)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from strongroom.domain.errors import StrongroomError
from strongroom.services.ports import Deps
from strongroom.services.realm_port import PeerRefused
from strongroom.services.replication.credentials import signing_key
from strongroom.services.replication.streams import IDENTITY
from strongroom.storage.realm_repository import CursorRecord, OutboxEntry
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "BATCH",
    "ShipResult",
    "StreamCodec",
    "entries_payload",
    "prune_outbox",
    "ship_once",
]

BATCH = 200
PRUNE_AFTER = timedelta(minutes=10)  # entries every region has are kept this long


class ShipResult:
    """What one round of shipping did: entries acknowledged, and whether more wait."""

    def __init__(self, shipped: int, more: bool) -> None:
        self.shipped = shipped
        self.more = more


def entries_payload(entries: list[OutboxEntry]) -> list[dict[str, object]]:
    """Outbox entries as they travel."""
    return [{"seq": e.seq, "payload": e.payload} for e in entries]


class StreamCodec(Protocol):
    """How a stream's entries travel when they are not sent as written (secrets travel as
    the secret is when shipped), and what the destination's per-entry results settle."""

    def items(
        self, deps: Deps, destination: str, entries: list[OutboxEntry]
    ) -> tuple[list[dict[str, Any]], dict[int, str]]:
        """What travels for ``entries``, and entries that failed here (seq -> reason)."""
        ...

    def results(
        self,
        deps: Deps,
        tx: Transaction,
        destination: str,
        results: list[dict[str, Any]],
        failed_here: dict[int, str],
    ) -> None:
        """Record the destination's answer per entry (in ``tx``, which also moves the
        cursor)."""
        ...


def ship_once(
    deps: Deps, destination: str, stream: str = IDENTITY, codec: StreamCodec | None = None
) -> ShipResult:
    """Send ``destination`` the next batch of ``stream`` it has not acknowledged (through
    ``codec`` when given); raises what the call raised (after recording it on the cursor)."""
    assert deps.peers is not None
    with deps.db.transaction(read_only=True) as tx:
        region = tx.realm.region(destination)
        cursor = tx.realm.cursor(destination, stream)
        entries = tx.realm.outbox_after(stream, destination, cursor.acked_seq, BATCH)
    if region is None or region.state != "ACTIVE" or not entries:
        return ShipResult(0, False)
    now = deps.clock.now()
    failed_here: dict[int, str] = {}
    if codec is not None:
        items, failed_here = codec.items(deps, destination, entries)
    else:
        items = entries_payload(entries)
    try:
        answer = deps.peers.post(
            region.url,
            "/apply",
            {"source": deps.region, "stream": stream, "entries": items},
            signing_key(deps),
        )
        acked = int(answer["appliedSeq"])
        with deps.db.transaction() as tx:
            if codec is not None:
                results = list(answer.get("results", []))
                codec.results(deps, tx, destination, results, failed_here)
            tx.realm.save_cursor(CursorRecord(destination, stream, acked, now, now, None, 0))
    except (StrongroomError, KeyError, TypeError, ValueError) as error:
        _record_failure(deps, cursor, now, error)
        raise
    return ShipResult(len(entries), len(entries) == BATCH)


def _record_failure(deps: Deps, cursor: CursorRecord, now: object, error: Exception) -> None:
    message = error.message if isinstance(error, StrongroomError) else repr(error)
    if isinstance(error, PeerRefused):
        message = f"{error.status} {error.code}: {message}"
    with deps.db.transaction() as tx:
        current = tx.realm.cursor(cursor.destination, cursor.stream)
        failed = CursorRecord(
            current.destination,
            current.stream,
            current.acked_seq,
            current.time_acked,
            deps.clock.now(),
            message[:1000],
            current.failures + 1,
        )
        tx.realm.save_cursor(failed)


def prune_outbox(deps: Deps, stream: str = IDENTITY) -> int:
    """Delete entries every linked region acknowledged more than PRUNE_AFTER ago: entries for
    every region once all have them, entries for one region once it has them."""
    before = deps.clock.now() - PRUNE_AFTER
    with deps.db.transaction() as tx:
        others = [r for r in tx.realm.regions() if r.name != deps.region]
        linked = [r.name for r in others if not r.is_home and r.state == "ACTIVE"]
        acked = {r.name: tx.realm.cursor(r.name, stream).acked_seq for r in others}
        last = tx.realm.last_seq(stream)
        through = min([acked[name] for name in linked] or [last])
        pruned = tx.realm.prune_outbox(stream, through, before)
        for region, seq in acked.items():
            pruned += tx.realm.prune_outbox(stream, seq, before, destination=region)
        return pruned
