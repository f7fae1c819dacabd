"""Work requests (OCI's WorkRequest): what a call started in other regions, and how it went.

A work request is made in the transaction of the call it tracks, with one target per region
the change must reach; the outbox capture gives each target the sequence number of the entry
that carries the change (storage.secret_outbox). Shipping results settle the targets: SUCCEEDED
once the region applied that entry or a newer one, FAILED with the region's reason when it
could not. The work request is SUCCEEDED when every target is, FAILED when one failed.

The API's use cases (GetWorkRequest, ListWorkRequests, ListWorkRequestErrors,
ListWorkRequestLogs) show a work request to a caller allowed to read the secret it is about
(SECRET_READ); an unknown one, another tenancy's, or one the caller may not read is NotFound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, select, update

from strongroom.domain.errors import NotFound
from strongroom.domain.ids import new_ocid
from strongroom.domain.paging import Page, PageRequest
from strongroom.iam.target import Target
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.lookup import NOT_FOUND, require_compartment
from strongroom.services.ports import Deps
from strongroom.services.replication.remote_work_requests import refresh_remote
from strongroom.storage import realm_schema
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "ACCEPTED",
    "FAILED",
    "IN_PROGRESS",
    "SUCCEEDED",
    "GetWorkRequestRequest",
    "ListWorkRequestErrorsRequest",
    "ListWorkRequestLogsRequest",
    "ListWorkRequestsRequest",
    "WorkRequest",
    "WorkRequestError",
    "WorkRequestLog",
    "get_visible_work_request",
    "get_work_request",
    "list_visible_work_requests",
    "list_work_request_errors",
    "list_work_request_logs",
    "list_work_requests",
    "settle_many",
    "settle_targets",
    "start_work_request",
]

T = TypeVar("T")
ACCEPTED, IN_PROGRESS, SUCCEEDED, FAILED = "ACCEPTED", "IN_PROGRESS", "SUCCEEDED", "FAILED"
W = realm_schema.work_requests
# Statements built once (every change of a replicated secret runs them), run with parameters.
_UPDATE = update(W).where(W.c.id == bindparam("w_id"))
_OPEN_OF_RESOURCES = select(W).where(
    W.c.resource_id.in_(bindparam("w_resource_ids", expanding=True)),
    W.c.time_finished.is_(None),
)


@dataclass(frozen=True)
class WorkRequest:
    """A work request as stored, with its status derived from its targets."""

    id: str
    tenancy_id: str
    compartment_id: str
    operation_type: str
    resource_id: str
    resource_type: str
    action_type: str
    targets: dict[str, dict[str, Any]]
    remote: dict[str, Any] | None
    logs: list[dict[str, Any]]
    time_accepted: datetime
    time_finished: datetime | None

    @property
    def status(self) -> str:
        states = [t.get("state", ACCEPTED) for t in self.targets.values()]
        if any(s == FAILED for s in states):
            return FAILED if all(s in (FAILED, SUCCEEDED) for s in states) else IN_PROGRESS
        if all(s == SUCCEEDED for s in states):
            return SUCCEEDED
        return IN_PROGRESS if self.targets else SUCCEEDED

    @property
    def percent_complete(self) -> float:
        if not self.targets:
            return 100.0
        done = sum(1 for t in self.targets.values() if t.get("state") in (SUCCEEDED, FAILED))
        return round(100.0 * done / len(self.targets), 1)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [
            {"region": region, "message": t.get("error") or region, "timestamp": t.get("time")}
            for region, t in sorted(self.targets.items())
            if t.get("state") == FAILED
        ]

    @property
    def time_started(self) -> datetime:
        """Work starts when the call commits: its changes are shipped from then on."""
        return self.time_accepted

    @property
    def error_entries(self) -> list[WorkRequestError]:
        """One error per failed target region: its code, and a message naming the region and
        the reason."""
        entries = []
        for error in self.errors:
            region = error["region"]
            reason = str(error["message"]).removeprefix(f"{region}: ")
            message = f"Replication to region {region} failed: {reason}"
            when = _instant(error["timestamp"]) or self.time_finished or self.time_accepted
            entries.append(WorkRequestError(REPLICATION_FAILED, message, when, region))
        return entries

    @property
    def log_entries(self) -> list[WorkRequestLog]:
        return [
            WorkRequestLog(str(e.get("message", "")), _instant(e.get("timestamp")))
            for e in self.logs
        ]


REPLICATION_FAILED = "ReplicationFailed"


@dataclass(frozen=True)
class WorkRequestError:
    """One error of a work request (OCI's WorkRequestError), from its failed target."""

    code: str
    message: str
    timestamp: datetime
    region: str


@dataclass(frozen=True)
class WorkRequestLog:
    """One log entry of a work request (OCI's WorkRequestLogEntry)."""

    message: str
    timestamp: datetime | None


def _instant(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def start_work_request(
    deps: Deps,
    tx: Transaction,
    operation_type: str,
    resource: tuple[str, str, str, str],
    regions: list[str],
    action_type: str = "UPDATED",
) -> str:
    """Record a work request for the change ``tx`` makes to ``resource`` (tenancy,
    compartment, id, type) in ``regions``; its id."""
    tenancy_id, compartment_id, resource_id, resource_type = resource
    work_id = new_ocid("workrequest", deps.region, deps.random_bytes)
    now = deps.clock.now()
    targets = {r: {"seq": None, "state": ACCEPTED} for r in regions}
    logs = [
        {"message": f"{operation_type} accepted in {deps.region}", "timestamp": now.isoformat()}
    ]
    values = {
        "id": work_id,
        "tenancy_id": tenancy_id,
        "compartment_id": compartment_id,
        "operation_type": operation_type,
        "resource_id": resource_id,
        "resource_type": resource_type,
        "action_type": action_type,
        "targets": targets,
        "remote": None,
        "logs": logs,
        "time_accepted": now,
        "time_finished": None if regions else now,
    }
    tx.touched.work_requests.append(values)  # written as tx commits, its entries numbered
    return work_id


def settle_targets(
    deps: Deps, tx: Transaction, secret_id: str, region: str, seq: int, error: str | None
) -> None:
    """``region`` applied (or, with ``error``, could not apply) ``secret_id``'s entries up to
    ``seq``: settle the unfinished work requests waiting for them (in ``tx``)."""
    settle_many(deps, tx, region, [(secret_id, seq, error)])


def settle_many(
    deps: Deps, tx: Transaction, region: str, answers: list[tuple[str, int, str | None]]
) -> None:
    """:func:`settle_targets` for a batch of (secret id, entry, error): one read of their
    unfinished work requests and one write of those settled."""
    now = deps.clock.now()
    by_secret = {secret_id: (seq, error) for secret_id, seq, error in answers}
    found = tx.conn.execute(_OPEN_OF_RESOURCES, {"w_resource_ids": list(by_secret)})
    settled = []
    for row in found:
        seq, error = by_secret[row.resource_id]
        values = _settled(row, region, seq, error, now)
        if values is not None:
            settled.append({**values, "w_id": row.id})
    if settled:
        tx.conn.execute(_UPDATE, settled)


def _settled(
    row: Any, region: str, seq: int, error: str | None, now: datetime
) -> dict[str, Any] | None:
    """The new targets, logs and finish time of work request ``row`` once ``region``
    applied (or refused) up to ``seq``; None when that does not settle its target."""
    targets = {k: dict(v) for k, v in dict(row.targets).items()}
    target = targets.get(region)
    wanted = target.get("seq") if target else None
    if target is None or wanted is None or wanted > seq:
        return None
    if target.get("state") in (SUCCEEDED, FAILED):
        return None
    target["state"] = FAILED if error else SUCCEEDED
    target["time"] = now.isoformat()
    if error:
        target["error"] = f"{region}: {error}"
    logs = [*row.logs, _log(region, error, now)]
    finished = all(t.get("state") in (SUCCEEDED, FAILED) for t in targets.values())
    return {"targets": targets, "logs": logs, "time_finished": now if finished else None}


def _log(region: str, error: str | None, now: datetime) -> dict[str, Any]:
    text = f"{region}: failed: {error}" if error else f"{region}: applied"
    return {"message": text, "timestamp": now.isoformat()}


def get_work_request(deps: Deps, work_id: str) -> WorkRequest | None:
    """The work request ``work_id`` (authorization is the caller's)."""
    with deps.db.transaction(read_only=True) as tx:
        row = tx.conn.execute(select(W).where(W.c.id == work_id)).first()
    return _work_request(row) if row else None


def list_work_requests(
    deps: Deps, compartment_id: str, resource_id: str | None, limit: int = 100
) -> list[WorkRequest]:
    """Work requests of a compartment (of one resource), newest first."""
    query = select(W).where(W.c.compartment_id == compartment_id)
    if resource_id:
        query = query.where(W.c.resource_id == resource_id)
    query = query.order_by(W.c.time_accepted.desc()).limit(limit)
    with deps.db.transaction(read_only=True) as tx:
        return [_work_request(r) for r in tx.conn.execute(query)]


def _work_request(row: Any) -> WorkRequest:
    return WorkRequest(
        row.id,
        row.tenancy_id,
        row.compartment_id,
        row.operation_type,
        row.resource_id,
        row.resource_type,
        row.action_type,
        {k: dict(v) for k, v in dict(row.targets).items()},
        dict(row.remote) if row.remote else None,
        list(row.logs),
        row.time_accepted,
        row.time_finished,
    )


# --- the API's use cases --------------------------------------------------------------------

_READ = ("SECRET_READ",)


@dataclass(frozen=True)
class GetWorkRequestRequest:
    """GetWorkRequest: one work request by its OCID."""

    work_request_id: str


@dataclass(frozen=True)
class ListWorkRequestsRequest:
    """ListWorkRequests: the work requests of a compartment, of one resource when given."""

    compartment_id: str
    resource_id: str | None
    page: PageRequest


@dataclass(frozen=True)
class ListWorkRequestErrorsRequest:
    """ListWorkRequestErrors: a work request's errors, oldest first unless ``descending``."""

    work_request_id: str
    page: PageRequest


@dataclass(frozen=True)
class ListWorkRequestLogsRequest:
    """ListWorkRequestLogs: a work request's log entries, oldest first unless ``descending``."""

    work_request_id: str
    page: PageRequest


def _target(tx: Transaction, work: WorkRequest) -> Target:
    """The policy target of the resource ``work`` is about (its secret as it is now)."""
    secret = tx.secrets.get(work.resource_id) if work.resource_type == "secret" else None
    if secret is not None:
        return Target(
            secret.tenancy_id,
            secret.compartment_id,
            vault_id=secret.vault_id,
            secret_id=secret.id,
            secret_name=secret.name,
        )
    return Target(work.tenancy_id, work.compartment_id, secret_id=work.resource_id)


def _visible(deps: Deps, tx: Transaction, call: Call, work_id: str, operation: str) -> WorkRequest:
    row = tx.conn.execute(select(W).where(W.c.id == work_id)).first()
    work = _work_request(row) if row else None
    if work is None or work.tenancy_id != call.principal.tenancy_id:
        raise NotFound(NOT_FOUND)
    authorize(deps, call, operation, _target(tx, work), _READ)
    return work


def _load_visible(deps: Deps, call: Call, work_id: str, operation: str) -> WorkRequest:
    """:func:`_visible` in a transaction of its own; a mirror of another region's work
    request (a forwarded write's) refreshed from there first while it is unfinished."""
    with deps.db.transaction(read_only=True) as tx:
        work = _visible(deps, tx, call, work_id, operation)
    if work.remote and work.time_finished is None:
        refresh_remote(deps, work.id, str(work.remote["region"]))
        with deps.db.transaction(read_only=True) as tx:
            work = _visible(deps, tx, call, work_id, operation)
    return work


def get_visible_work_request(deps: Deps, call: Call, request: GetWorkRequestRequest) -> WorkRequest:
    """A work request the caller may see (it may read the secret it is about)."""
    return _load_visible(deps, call, request.work_request_id, "GetWorkRequest")


def list_visible_work_requests(
    deps: Deps, call: Call, request: ListWorkRequestsRequest
) -> Page[WorkRequest]:
    """Work requests of a compartment (of one resource), newest first; only those about
    secrets the caller may read."""
    tenancy_id = call.principal.tenancy_id
    query = select(W).where(
        W.c.tenancy_id == tenancy_id, W.c.compartment_id == request.compartment_id
    )
    if request.resource_id:
        query = query.where(W.c.resource_id == request.resource_id)
    query = query.order_by(W.c.time_accepted.desc(), W.c.id)
    with deps.db.transaction(read_only=True) as tx:
        require_compartment(deps, tx, call, request.compartment_id)
        call.audit.compartment_id = request.compartment_id
        works = [_work_request(r) for r in tx.conn.execute(query)]
        targets: dict[str, Target] = {}
        shown = []
        for work in works:
            if work.resource_id not in targets:
                targets[work.resource_id] = _target(tx, work)
            target = targets[work.resource_id]
            if deps.authorizer.is_allowed(call.principal, "ListWorkRequests", _READ, target):
                shown.append(work)
    call.audit.decision = "allowed"
    return _window(shown, request.page)


def list_work_request_errors(
    deps: Deps, call: Call, request: ListWorkRequestErrorsRequest
) -> Page[WorkRequestError]:
    """The errors of a work request the caller may see: one per failed target region."""
    work = _load_visible(deps, call, request.work_request_id, "ListWorkRequestErrors")
    entries = sorted(work.error_entries, key=lambda e: (e.timestamp, e.region))
    return _window(entries[::-1] if request.page.descending else entries, request.page)


def list_work_request_logs(
    deps: Deps, call: Call, request: ListWorkRequestLogsRequest
) -> Page[WorkRequestLog]:
    """The log entries of a work request the caller may see, in the order they were written."""
    work = _load_visible(deps, call, request.work_request_id, "ListWorkRequestLogs")
    entries = work.log_entries
    return _window(entries[::-1] if request.page.descending else entries, request.page)


def _window(items: list[T], page: PageRequest) -> Page[T]:
    chosen = items[page.offset : page.offset + page.limit]
    more = page.offset + page.limit < len(items)
    return Page(chosen, page.offset + page.limit if more else None)
