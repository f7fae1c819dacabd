"""Work requests of writes this region forwarded to another region (a replica's source).

The caller asks the region that took the call, so that region keeps a mirror of the source's
work request (same id, ``remote`` naming the source) and refreshes it from the source while it
is unfinished; with the source unreachable, the last state seen is shown.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from strongroom.domain.errors import NotFound, StrongroomError
from strongroom.services.ports import Deps
from strongroom.services.replication.credentials import signing_key
from strongroom.storage import realm_schema

__all__ = ["mirror_forwarded", "refresh_remote", "work_request_state"]

W = realm_schema.work_requests
REFRESH_TIMEOUT = 3.0


def mirror_forwarded(
    deps: Deps, work_id: str, region: str, resource: tuple[str, str, str, str]
) -> None:
    """Keep a mirror of ``region``'s work request ``work_id`` (about ``resource``: tenancy,
    compartment, id, type) so this region answers for it."""
    tenancy_id, compartment_id, resource_id, resource_type = resource
    now = deps.clock.now()
    values = {
        "id": work_id,
        "tenancy_id": tenancy_id,
        "compartment_id": compartment_id,
        "operation_type": "UPDATE_SECRET",
        "resource_id": resource_id,
        "resource_type": resource_type,
        "action_type": "UPDATED",
        "targets": {region: {"seq": None, "state": "ACCEPTED"}},
        "remote": {"region": region},
        "logs": [{"message": f"forwarded to {region}", "timestamp": now.isoformat()}],
        "time_accepted": now,
        "time_finished": None,
    }
    with deps.db.transaction() as tx:
        if tx.conn.execute(select(W.c.id).where(W.c.id == work_id)).first() is None:
            tx.conn.execute(insert(W).values(values))


def refresh_remote(deps: Deps, work_id: str, region: str) -> None:
    """Bring the mirror of ``work_id`` up to date from ``region`` (kept as is when it cannot
    be reached)."""
    if deps.peers is None:
        return
    with deps.db.transaction(read_only=True) as tx:
        record = tx.realm.region(region)
    if record is None:
        return
    with contextlib.suppress(StrongroomError, KeyError, TypeError, ValueError):
        state = deps.peers.post(
            record.url, "/workrequests/get", {"id": work_id}, signing_key(deps), REFRESH_TIMEOUT
        )
        finished = state.get("timeFinished")
        values = {
            "operation_type": str(state["operationType"]),
            "action_type": str(state["actionType"]),
            "targets": dict(state["targets"]),
            "logs": list(state["logs"]),
            "time_finished": datetime.fromisoformat(finished) if finished else None,
        }
        with deps.db.transaction() as tx:
            tx.conn.execute(update(W).where(W.c.id == work_id).values(values))


def work_request_state(deps: Deps, work_id: str) -> dict[str, Any]:
    """(The source) what a mirror of ``work_id`` needs."""
    with deps.db.transaction(read_only=True) as tx:
        row = tx.conn.execute(select(W).where(W.c.id == work_id)).first()
    if row is None:
        raise NotFound(f"No work request {work_id} here")
    return {
        "operationType": row.operation_type,
        "actionType": row.action_type,
        "targets": dict(row.targets),
        "logs": list(row.logs),
        "timeFinished": row.time_finished.isoformat() if row.time_finished else None,
    }
