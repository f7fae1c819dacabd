"""AuditClient endpoint: GET /20190901/auditEvents (shapes of ``oci.audit.models``)."""

from __future__ import annotations

from typing import Any

from strongroom.api.oci import parse
from strongroom.api.oci.endpoint import Api, OciRequest, Reply
from strongroom.api.oci.render import rfc3339
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.identity import AuditEvent
from strongroom.domain.ids import require_ocid
from strongroom.services.audit import events


def _time(req: OciRequest, name: str) -> Any:
    value = parse.timestamp({name: req.query.get(name)}, name)
    if value is None:
        raise InvalidParameter(f"{name} is required")
    return value


def render(event: AuditEvent) -> dict[str, Any]:
    """One event as OCI's AuditEvent (CloudEvents envelope)."""
    return {
        "eventType": f"com.oraclecloud.strongroom.{event.operation}",
        "cloudEventsVersion": "0.1",
        "eventTypeVersion": "2.0",
        "source": "strongroom",
        "eventId": event.id,
        "eventTime": rfc3339(event.time),
        "contentType": "application/json",
        "data": {
            "eventName": event.operation,
            "compartmentId": event.compartment_id,
            "resourceId": event.resource_id,
            "identity": {
                "principalId": event.principal_id,
                "authType": event.principal_type,
                "tenantId": event.tenancy_id,
                "ipAddress": event.source,
            },
            "request": {"id": event.request_id, "action": event.operation},
            "response": {"status": str(event.status)},
            "additionalDetails": {"decision": event.decision},
        },
    }


def list_events(api: Api, req: OciRequest) -> Reply:
    compartment = require_ocid(
        req.query.get("compartmentId"), "compartmentId", "tenancy", "compartment"
    )
    page = parse.page_request({k: v for k, v in req.query.items() if k in ("limit", "page")})
    found = events.list_events(
        api.deps,
        req.call,
        compartment,
        _time(req, "startTime"),
        _time(req, "endTime"),
        page.limit,
        page.offset,
    )
    return Reply.page([render(e) for e in found.items], found.next_offset)
