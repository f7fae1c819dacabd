"""Routes of the WorkRequestClient API (/20160918/workRequests, which IdentityClient's
get_work_request and list_work_requests also call) and of Strongroom's replication status
extension of the VaultsClient path (/20180608/secrets/{secretId}/replicationStatus)."""

from __future__ import annotations

from strongroom.api.oci.endpoint import ApiRoute
from strongroom.api.oci.work_requests import handlers as h

__all__ = ["ONE", "REPLICATION_STATUS", "ROUTES", "WORK_REQUESTS"]

WORK_REQUESTS = "/20160918/workRequests"
ONE = f"{WORK_REQUESTS}/{{workRequestId}}"
REPLICATION_STATUS = "/20180608/secrets/{secretId}/replicationStatus"

ROUTES: list[ApiRoute] = [
    ApiRoute("ListWorkRequests", "GET", WORK_REQUESTS, h.list_work_requests),
    ApiRoute("GetWorkRequest", "GET", ONE, h.get_work_request),
    ApiRoute("ListWorkRequestErrors", "GET", f"{ONE}/errors", h.list_work_request_errors),
    ApiRoute("ListWorkRequestLogs", "GET", f"{ONE}/logs", h.list_work_request_logs),
    ApiRoute(
        "GetSecretReplicationStatus",
        "GET",
        REPLICATION_STATUS,
        h.get_secret_replication_status,
    ),
]
