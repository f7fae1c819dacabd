"""Applying a stream another region ships: in sequence order, each entry once.

The receiving region's cursor (``replication_inbound``) moves in the transaction that applies
the entry, so an entry shipped twice (a retry after a lost answer, a push racing a pull) is
skipped the second time: applied exactly once in effect.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from strongroom.domain.errors import Conflict, InvalidParameter
from strongroom.services.ports import Deps
from strongroom.services.replication.streams import IDENTITY
from strongroom.storage.replicated_rows import key_column, table_named

__all__ = ["applied_seq", "apply_entries", "start_from_snapshot"]


def applied_seq(deps: Deps, source: str, stream: str = IDENTITY) -> int:
    """How far this region has applied ``source``'s ``stream``."""
    with deps.db.transaction(read_only=True) as tx:
        return tx.realm.applied_seq(source, stream)


def apply_entries(deps: Deps, source: str, stream: str, entries: list[dict[str, Any]]) -> int:
    """Apply the ``entries`` (``{"seq", "payload": {"changes": [...]}}``) of ``source``'s
    ``stream`` not applied yet, in order, in one transaction; the sequence applied up to."""
    _check_source(deps, source, stream)
    try:
        ordered = sorted(entries, key=lambda e: int(e["seq"]))
        with deps.db.transaction() as tx:
            done = tx.realm.applied_seq(source, stream, for_update=True)
            for entry in ordered:
                seq = int(entry["seq"])
                if seq <= done:
                    continue
                tx.realm.apply_changes(list(entry["payload"]["changes"]))
                done = seq
            tx.realm.set_applied_seq(source, stream, done, deps.clock.now())
        return done
    except (KeyError, TypeError, ValueError, IntegrityError) as error:
        raise InvalidParameter(
            f"The {stream} entries from {source} do not apply: {error}"
        ) from None


def start_from_snapshot(
    deps: Deps, source: str, seq: int, snapshot: dict[str, list[dict[str, Any]]]
) -> None:
    """Load a joining region's identity from the home region's snapshot, taken at ``seq``."""
    changes = []
    for table, rows in snapshot.items():
        key = key_column(table_named(table))
        changes += [{"table": table, "key": row[key], "row": row} for row in rows]
    with deps.db.transaction() as tx:
        tx.realm.apply_changes(changes)
        tx.realm.set_applied_seq(source, IDENTITY, seq, deps.clock.now())


def _check_source(deps: Deps, source: str, stream: str) -> None:
    if stream == IDENTITY and source != deps.realm.home:
        raise Conflict(f"Identity comes from the home region {deps.realm.home}, not {source}")
    if deps.realm.is_home and stream == IDENTITY:
        raise Conflict("The home region does not receive identity")
