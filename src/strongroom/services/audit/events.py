"""ListEvents: the tenancy's audit trail, for callers with AUDIT_EVENT_READ."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from strongroom.domain.errors import InvalidParameter
from strongroom.domain.identity import AuditEvent, AuditQuery
from strongroom.domain.paging import Page, PageRequest
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.identity.common import tenancy_target
from strongroom.services.lookup import require_compartment
from strongroom.services.ports import Deps

__all__ = ["MAX_WINDOW", "ListEventsRequest", "list_events"]

MAX_WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class ListEventsRequest:
    """ListEvents' input: events of ``compartment_id`` in [start_time, end_time), one page."""

    compartment_id: str
    start_time: datetime
    end_time: datetime
    page: PageRequest


def list_events(deps: Deps, call: Call, request: ListEventsRequest) -> Page[AuditEvent]:
    """Events in [start, end), oldest first: all of the tenancy's for the root compartment
    (the tenancy's whole trail, failed sign-ins included), else those in the compartment.

    The compartment is filtered in the query, so every page is full and ``offset`` counts
    only the compartment's events: walking the pages yields each event once.
    """
    compartment_id, start, end = request.compartment_id, request.start_time, request.end_time
    limit, offset = request.page.limit, request.page.offset
    if end <= start or end - start > MAX_WINDOW:
        raise InvalidParameter("endTime must be after startTime, and at most 365 days later")
    with deps.db.transaction(read_only=True) as tx:
        require_compartment(deps, tx, call, compartment_id)
    authorize(deps, call, "ListEvents", tenancy_target(call, compartment_id))
    if deps.audit is None:
        return Page([], None)
    tenancy_id = call.principal.tenancy_id
    only = None if compartment_id == tenancy_id else compartment_id
    query = AuditQuery(tenancy_id, start, end, limit, offset, compartment_id=only)
    found = deps.audit.events(query)
    more = len(found) > limit
    return Page(found[:limit], offset + limit if more else None)
