"""Audit events to the shapes of the ``oci.audit`` models."""

from __future__ import annotations

from typing import Any

from strongroom.api.oci.render import rfc3339
from strongroom.domain.identity import AuditEvent

__all__ = ["event"]


def event(e: AuditEvent) -> dict[str, Any]:
    """One event as OCI's AuditEvent (CloudEvents envelope)."""
    return {
        "eventType": f"com.oraclecloud.strongroom.{e.operation}",
        "cloudEventsVersion": "0.1",
        "eventTypeVersion": "2.0",
        "source": "strongroom",
        "eventId": e.id,
        "eventTime": rfc3339(e.time),
        "contentType": "application/json",
        "data": {
            "eventName": e.operation,
            "compartmentId": e.compartment_id,
            "resourceId": e.resource_id,
            "identity": {
                "principalId": e.principal_id,
                "authType": e.principal_type,
                "tenantId": e.tenancy_id,
                "ipAddress": e.source,
            },
            "request": {"id": e.request_id, "action": e.operation},
            "response": {"status": str(e.status)},
            "additionalDetails": _details(e),
        },
    }


def _details(e: AuditEvent) -> dict[str, str]:
    if e.reason is None:
        return {"decision": e.decision}
    return {"decision": e.decision, "reason": e.reason}
