"""ListEvents: the tenancy's audit trail, for callers with AUDIT_EVENT_READ."""

from __future__ import annotations

from datetime import datetime, timedelta

from strongroom.domain.errors import InvalidParameter
from strongroom.domain.identity import AuditEvent
from strongroom.domain.paging import Page
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.identity.common import tenancy_target
from strongroom.services.lookup import require_compartment
from strongroom.services.ports import Deps

MAX_WINDOW = timedelta(days=365)


def list_events(
    deps: Deps,
    call: Call,
    compartment_id: str,
    start: datetime,
    end: datetime,
    limit: int,
    offset: int,
) -> Page[AuditEvent]:
    """Events in [start, end): all of the tenancy's for the root, else those in the compartment."""
    if end <= start or end - start > MAX_WINDOW:
        raise InvalidParameter("endTime must be after startTime, and at most 365 days later")
    with deps.db.transaction(read_only=True) as tx:
        require_compartment(deps, tx, call, compartment_id)
    authorize(deps, call, "ListEvents", tenancy_target(call, compartment_id))
    if deps.audit is None:
        return Page([], None)
    found = deps.audit.events(call.principal.tenancy_id, start, end, limit, offset)
    if compartment_id != call.principal.tenancy_id:
        found = [e for e in found if e.compartment_id == compartment_id]
    more = len(found) > limit
    return Page(found[:limit], offset + limit if more else None)
