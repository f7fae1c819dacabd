"""Work requests to the JSON of the ``oci`` SDK's models: WorkRequest and WorkRequestSummary
of ``oci.work_requests`` and of ``oci.identity`` (the superset of both: identity's add
``errors`` and ``logs``), WorkRequestResource, WorkRequestError, WorkRequestLogEntry; and the
replication status extension."""

from __future__ import annotations

from typing import Any

from strongroom.api.oci.render import rfc3339
from strongroom.services.replication.replica_status import ReplicaStatus
from strongroom.services.replication.work_requests import (
    FAILED,
    SUCCEEDED,
    WorkRequest,
    WorkRequestError,
    WorkRequestLog,
)

__all__ = [
    "entity_uri",
    "error",
    "log_entry",
    "replica",
    "replication_status",
    "resources",
    "work_request",
    "work_request_summary",
]

_URIS = {"secret": "/20180608/secrets/{}"}


def entity_uri(resource_type: str, resource_id: str) -> str | None:
    """Where the resource is read (GetSecret for a secret)."""
    shape = _URIS.get(resource_type)
    return shape.format(resource_id) if shape else None


def resources(work: WorkRequest) -> list[dict[str, Any]]:
    """The resource the work request is about; its actionType is IN_PROGRESS until done."""
    finished = work.status in (SUCCEEDED, FAILED)
    return [
        {
            "entityType": work.resource_type,
            "actionType": work.action_type if finished else "IN_PROGRESS",
            "identifier": work.resource_id,
            "entityUri": entity_uri(work.resource_type, work.resource_id),
        }
    ]


def error(entry: WorkRequestError) -> dict[str, Any]:
    return {"code": entry.code, "message": entry.message, "timestamp": rfc3339(entry.timestamp)}


def log_entry(entry: WorkRequestLog) -> dict[str, Any]:
    return {"message": entry.message, "timestamp": rfc3339(entry.timestamp)}


def work_request_summary(work: WorkRequest) -> dict[str, Any]:
    """WorkRequestSummary (work_requests and identity: with resources and errors)."""
    return {
        "id": work.id,
        "operationType": work.operation_type,
        "compartmentId": work.compartment_id,
        "status": work.status,
        "resources": resources(work),
        "errors": [error(e) for e in work.error_entries],
        "percentComplete": work.percent_complete,
        "timeAccepted": rfc3339(work.time_accepted),
        "timeStarted": rfc3339(work.time_started),
        "timeFinished": rfc3339(work.time_finished),
    }


def work_request(work: WorkRequest) -> dict[str, Any]:
    """WorkRequest (work_requests and identity: with errors and logs)."""
    return {**work_request_summary(work), "logs": [log_entry(e) for e in work.log_entries]}


def replica(status: ReplicaStatus) -> dict[str, Any]:
    return {
        "targetRegion": status.region,
        "state": status.state,
        "lagSeconds": status.lag_seconds,
        "lastError": status.last_error,
        "lastAppliedVersionNumber": status.last_applied_version,
        "timeLastApplied": rfc3339(status.time_last_applied),
    }


def replication_status(statuses: list[ReplicaStatus]) -> dict[str, Any]:
    """GetSecretReplicationStatus: ``{"items": [...]}``, one per target region."""
    return {"items": [replica(s) for s in statuses]}
