"""AuditClient endpoint: GET /20190901/auditEvents (shapes of ``oci.audit.models``)."""

from __future__ import annotations

from strongroom.api.oci import parse
from strongroom.api.oci.audit import parse as ap
from strongroom.api.oci.audit import render as ar
from strongroom.api.oci.endpoint import Api, OciRequest, Reply
from strongroom.domain.ids import require_ocid
from strongroom.services.audit import events

__all__ = ["list_events"]


def list_events(api: Api, req: OciRequest) -> Reply:
    q = req.query
    compartment = require_ocid(q.get("compartmentId"), "compartmentId", "tenancy", "compartment")
    page = parse.page_request({k: v for k, v in q.items() if k in ("limit", "page")})
    request = events.ListEventsRequest(
        compartment_id=compartment,
        start_time=ap.required_time(q, "startTime"),
        end_time=ap.required_time(q, "endTime"),
        page=page,
    )
    found = events.list_events(api.deps, req.call, request)
    return Reply.page([ar.event(e) for e in found.items], found.next_offset)
