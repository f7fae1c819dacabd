"""``GET /metrics`` on the main listener: an OCI-signed scrape (Strongroom's own route, beside
the OCI APIs; ``serve --metrics-port`` serves the same metrics unauthenticated on loopback).

Signed as any OCI request (the SDK's signer, or ``oci raw-request``), refused as any: 401
NotAuthenticated unsigned, 404 NotAuthorizedOrNotFound without ``read metrics`` in the
tenancy. The answer is the Prometheus text format (OpenMetrics when ``Accept`` prefers it).
"""

from __future__ import annotations

from strongroom.api.oci.endpoint import Api, ApiRoute, OciRequest, Reply
from strongroom.services import monitoring

__all__ = ["ROUTES", "get_metrics"]


def get_metrics(api: Api, req: OciRequest) -> Reply:
    request = monitoring.GetMetricsRequest(accept=req.headers.get("accept", ""))
    found = monitoring.get_metrics(api.deps, req.call, request)
    return Reply(found.body, headers={"content-type": found.content_type})


ROUTES: list[ApiRoute] = [ApiRoute("GetMetrics", "GET", "/metrics", get_metrics)]
