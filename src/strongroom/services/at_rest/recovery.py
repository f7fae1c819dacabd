"""Finishing what a crash interrupted: rekeys left running, old keys left undestroyed.

Run by every process's keeper (see :mod:`.keeper`); the ``rekey`` lease keeps it to one
process at a time, and a rekey this process runs itself is left to its own thread.
"""

from __future__ import annotations

import logging

from strongroom.domain.at_rest import REKEY_RESULT_TYPE, MasterKeyState, master_key_uuid
from strongroom.domain.errors import StrongroomError
from strongroom.services.at_rest import rekey_steps
from strongroom.services.at_rest.master_keys import destroy_master_key
from strongroom.services.at_rest.rekey import REKEY_LEASE
from strongroom.services.leases import Lease, process_holder
from strongroom.services.ports import Deps

__all__ = ["finish_decommissions", "resume_interrupted"]

log = logging.getLogger("strongroom.at_rest")


def resume_interrupted(deps: Deps) -> int:
    """Finish rekeys left running by a process that died: completed when the keyring was
    already rewrapped under the new key, rolled back otherwise. Returns how many."""
    with deps.db.transaction(read_only=True) as tx:
        running = tx.at_rest.async_results([REKEY_RESULT_TYPE], status="running")
        stored = tx.at_rest.keyring()
    if not running or rekey_steps.running_here():
        return 0
    lease = Lease(deps, REKEY_LEASE, process_holder(deps))
    if not lease.try_hold():
        return 0  # its process is alive (or its lease has not expired yet)
    try:
        wrapped_by = master_key_uuid(stored[1]) if stored else None
        for result in running:
            details = result.details
            new = details.get("new")
            if isinstance(new, dict) and new.get("key_id") == wrapped_by:
                log.warning("Completing rekey %d interrupted after the rewrap", result.id)
                rekey_steps.decommission(deps, result.id, details)
            else:
                log.warning("Rolling back rekey %d interrupted before the rewrap", result.id)
                rekey_steps.roll_back(
                    deps,
                    result.id,
                    details,
                    f"Interrupted at {details.get('state')} (the process stopped)",
                )
    finally:
        lease.release()
    return len(running)


def finish_decommissions(deps: Deps) -> None:
    """Destroy old external master keys whose destruction failed (their server was down)."""
    with deps.db.transaction(read_only=True) as tx:
        waiting = tx.at_rest.master_keys([MasterKeyState.DECOMMISSIONING])
    for record in waiting:
        try:
            destroy_master_key(deps, record)
        except (StrongroomError, OSError) as error:
            log.info("Old master key %s not destroyed yet: %s", record.key_id, error)
            continue
        with deps.db.transaction() as tx:
            tx.at_rest.set_master_key(record.key_id, deps.clock.now(), MasterKeyState.DESTROYED)
