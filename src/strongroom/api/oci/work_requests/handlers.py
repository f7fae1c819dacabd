"""Handlers of the WorkRequestClient API and of the replication status extension.

One function per API operation: parse the request into the use case's ``XxxRequest``, call
the use case, render. ListWorkRequests takes the resource as ``resourceId`` (WorkRequestClient)
or ``resourceIdentifier`` (IdentityClient).
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.api.oci import parse
from strongroom.api.oci.endpoint import Api, OciRequest, Reply
from strongroom.api.oci.work_requests import render as wr
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.ids import require_ocid
from strongroom.domain.paging import PageRequest
from strongroom.services.replication import replica_status as rs
from strongroom.services.replication import work_requests as w

__all__ = [
    "get_secret_replication_status",
    "get_work_request",
    "list_work_request_errors",
    "list_work_request_logs",
    "list_work_requests",
]


def _work_request_id(req: OciRequest) -> str:
    return require_ocid(req.path["workRequestId"], "workRequestId", "workrequest")


def _entries_page(query: Mapping[str, str]) -> PageRequest:
    """limit, page and sortOrder (by timestamp, ascending unless DESC)."""
    return parse.page_request(query, default_sort="TIMESTAMP", sorts=("TIMESTAMP",))


def _resource_id(query: Mapping[str, str]) -> str | None:
    given = [query[n] for n in ("resourceId", "resourceIdentifier") if query.get(n)]
    if len(set(given)) > 1:
        raise InvalidParameter("Give resourceId or resourceIdentifier, not two different ones")
    if not given:
        return None
    return require_ocid(given[0], "resourceId")


def get_work_request(api: Api, req: OciRequest) -> Reply:
    request = w.GetWorkRequestRequest(_work_request_id(req))
    found = w.get_visible_work_request(api.deps, req.call, request)
    return Reply(
        wr.work_request(found), headers={"retry-after": "1"} if not found.time_finished else {}
    )


def list_work_requests(api: Api, req: OciRequest) -> Reply:
    q = req.query
    compartment = require_ocid(q.get("compartmentId"), "compartmentId", "tenancy", "compartment")
    page = parse.page_request(q, default_sort="TIMEACCEPTED", sorts=("TIMEACCEPTED",))
    request = w.ListWorkRequestsRequest(compartment, _resource_id(q), page)
    found = w.list_visible_work_requests(api.deps, req.call, request)
    return Reply.page([wr.work_request_summary(x) for x in found.items], found.next_offset)


def list_work_request_errors(api: Api, req: OciRequest) -> Reply:
    request = w.ListWorkRequestErrorsRequest(_work_request_id(req), _entries_page(req.query))
    found = w.list_work_request_errors(api.deps, req.call, request)
    return Reply.page([wr.error(e) for e in found.items], found.next_offset)


def list_work_request_logs(api: Api, req: OciRequest) -> Reply:
    request = w.ListWorkRequestLogsRequest(_work_request_id(req), _entries_page(req.query))
    found = w.list_work_request_logs(api.deps, req.call, request)
    return Reply.page([wr.log_entry(e) for e in found.items], found.next_offset)


def get_secret_replication_status(api: Api, req: OciRequest) -> Reply:
    secret_id = require_ocid(req.path["secretId"], "secretId", "vaultsecret")
    request = rs.GetSecretReplicationStatusRequest(secret_id)
    found = rs.get_secret_replication_status(api.deps, req.call, request)
    return Reply(wr.replication_status(found))
