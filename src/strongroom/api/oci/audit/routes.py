"""Routes of the AuditClient API (/20190901)."""

from __future__ import annotations

from strongroom.api.oci.audit import handlers
from strongroom.api.oci.endpoint import ApiRoute

__all__ = ["ROUTES"]

ROUTES: list[ApiRoute] = [
    ApiRoute("ListEvents", "GET", "/20190901/auditEvents", handlers.list_events),
]
