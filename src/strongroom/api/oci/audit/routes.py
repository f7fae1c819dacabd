"""Routes of the AuditClient API (/20190901)."""

from __future__ import annotations

from strongroom.api.oci.audit import events
from strongroom.api.oci.endpoint import ApiRoute

ROUTES: list[ApiRoute] = [
    ApiRoute("ListEvents", "GET", "/20190901/auditEvents", events.list_events),
]
