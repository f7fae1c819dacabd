"""RekeySoftwareEncryptionAtRestMasterKey: replace the master key online.

The master key wraps only the keyring, so a rekey costs the same whatever is stored: make a
new master key (a KMIP Create on the target provider's server, or a new internal key file),
rewrap the keyring under it in one transaction (every process hears of it and reloads), then
destroy the old key. The rekey runs in a thread of the process that accepted it, under the
``rekey`` lease, recording its step in its async result; a rekey interrupted by a crash is
finished by :func:`.recovery.resume_interrupted`: rolled back when the keyring was not yet
rewrapped, completed when it was.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass

from strongroom.domain.at_rest import (
    REKEY_RESULT_TYPE,
    KmipFailure,
    ManagementType,
    RekeyInProgress,
    RekeyStep,
    Sealed,
)
from strongroom.domain.errors import IncorrectState, InvalidParameter
from strongroom.services.at_rest import rekey_steps
from strongroom.services.at_rest.key_servers import probe_server
from strongroom.services.at_rest.kmip_checks import active_master_key
from strongroom.services.at_rest.master_keys import provider_server
from strongroom.services.at_rest.presence import other_processes
from strongroom.services.context import Call
from strongroom.services.leases import Lease, process_holder
from strongroom.services.ports import Deps

__all__ = ["REKEY_LEASE", "RekeyMasterKeyRequest", "rekey_master_key"]

REKEY_LEASE = "rekey"
log = logging.getLogger("strongroom.at_rest")


@dataclass(frozen=True)
class RekeyMasterKeyRequest:
    """Replace the master key: keep its kind (no ``management_type``) or move it to internal
    management or to KMIP key provider ``provider_id``."""

    management_type: ManagementType | None = None
    provider_id: int | None = None


def rekey_master_key(deps: Deps, call: Call, request: RekeyMasterKeyRequest) -> int:
    """Start a rekey and answer its async handle at once (the work goes on in a thread).

    Refused while sealed, while another rekey runs, for an unknown provider or one with no
    server or failing its test, and to internal management while other processes share the
    database."""
    if deps.barrier.sealed:
        raise Sealed(f"Strongroom is sealed: {deps.barrier.sealed_reason}")
    kind, provider_id = _target(deps, request)
    lease = Lease(deps, REKEY_LEASE, process_holder(deps))
    if not lease.try_hold() or rekey_steps.running_here():
        raise RekeyInProgress("A rekey of the master key is already running")
    try:
        handle = _record_start(deps, kind, provider_id)
    except BaseException:
        lease.release()
        raise
    worker = threading.Thread(
        target=rekey_steps.run_with_lease,
        args=(deps, handle, lease),
        name=f"strongroom-rekey-{handle}",
        daemon=True,
    )
    rekey_steps.mark_running(handle)
    worker.start()
    log.info("Rekey %d started: new %s master key", handle, kind.value)
    return handle


def _target(deps: Deps, request: RekeyMasterKeyRequest) -> tuple[ManagementType, int | None]:
    """The kind and provider the new master key goes to, the provider tested first."""
    with deps.db.transaction(read_only=True) as tx:
        current = active_master_key(tx)
    kind = request.management_type or (
        current.management_type if current else ManagementType.INTERNAL
    )
    if kind is ManagementType.INTERNAL:
        if request.provider_id is not None:
            raise InvalidParameter("keyProviderID is valid only with keyManagementType external")
        _check_internal_possible(deps)
        return kind, None
    provider_id = request.provider_id
    if provider_id is None and request.management_type is None and current is not None:
        provider_id = current.provider_id
    if provider_id is None:
        raise InvalidParameter("keyProviderID is required with keyManagementType external")
    _test_provider(deps, provider_id)
    return kind, provider_id


def _check_internal_possible(deps: Deps) -> None:
    if deps.data_dir is None:
        raise IncorrectState("This process has no data directory for an internal master key")
    others = other_processes(deps)
    if others:
        raise IncorrectState(
            f"{len(others)} other Strongroom process(es) share this database, and an internal "
            "master key is a file in one data directory: rekey to a KMIP key provider "
            "(keyManagementType external) instead"
        )


def _test_provider(deps: Deps, provider_id: int) -> None:
    """Connect to the provider's server and run a KMIP operation (KmipFailure says why not)."""
    with deps.db.transaction(read_only=True) as tx:
        server = provider_server(tx, provider_id)
    try:
        probe_server(deps, server)
    except KmipFailure as failure:
        raise KmipFailure(
            failure.stage, f"Key provider {provider_id} failed its test: {failure.message}"
        ) from None


def _record_start(deps: Deps, kind: ManagementType, provider_id: int | None) -> int:
    now = deps.clock.now()
    new_id = str(uuid.UUID(bytes=deps.random_bytes(16), version=4))
    with deps.db.transaction() as tx:
        if tx.at_rest.async_results([REKEY_RESULT_TYPE], status="running"):
            raise RekeyInProgress(
                "A rekey of the master key is already running (an interrupted one is resumed "
                "within seconds)"
            )
        current = active_master_key(tx)
        if current is None:
            raise IncorrectState("No active master key is recorded")
        details: dict[str, object] = {
            "state": RekeyStep.CREATE_NEW_MASTER_KEY.value,
            "old": rekey_steps.key_fields(
                current.key_id, current.management_type, current.provider_id
            ),
            "new": rekey_steps.key_fields(new_id, kind, provider_id),
        }
        return tx.at_rest.add_async_result(REKEY_RESULT_TYPE, details, now)
