"""The work request of a call that changes a replicated secret (see
services.replication.work_requests): one target per region the change must reach."""

from __future__ import annotations

from collections.abc import Iterable

from strongroom.domain.secret import Secret
from strongroom.services.context import Call
from strongroom.services.ports import Deps
from strongroom.services.replication.work_requests import start_work_request
from strongroom.storage.unit_of_work import Transaction

__all__ = ["replicated_regions", "track_replication"]


def replicated_regions(secret: Secret) -> tuple[str, ...]:
    """The regions a change of a source secret goes to (its targets)."""
    if secret.source is not None or secret.replication is None:
        return ()
    return secret.replication.regions


def track_replication(
    deps: Deps,
    tx: Transaction,
    call: Call,
    secret: Secret,
    operation_type: str,
    regions: Iterable[str],
) -> str:
    """Start the call's work request for ``secret`` in ``regions`` (in ``tx``); its id,
    also noted on the call (answered as opc-work-request-id)."""
    action = "CREATED" if operation_type == "CREATE_SECRET" else "UPDATED"
    resource = (secret.tenancy_id, secret.compartment_id, secret.id, "secret")
    work_id = start_work_request(deps, tx, operation_type, resource, sorted(set(regions)), action)
    call.started.append(work_id)
    return work_id
