"""Unsealing: load the keyring with the master key that wrapped it, wherever that key lives.

At start-up, and whenever another process rewraps the keyring, a process reads the wrapped
keyring, finds its master key's record, reads or fetches the key and unwraps. When the key
cannot be reached the barrier stays sealed with the reason; :mod:`.keeper` tries again.
"""

from __future__ import annotations

import logging

from strongroom.domain.at_rest import (
    ManagementType,
    MasterKeyRecord,
    MasterKeyState,
    master_key_uuid,
)
from strongroom.domain.errors import DecryptionFailed, IncorrectState, StrongroomError
from strongroom.services.at_rest.master_keys import fetch_master_key
from strongroom.services.ports import Deps

__all__ = ["adopt_internal_master_key", "stored_master_key_id", "try_unseal", "unseal"]

log = logging.getLogger("strongroom.at_rest")


def stored_master_key_id(deps: Deps) -> str | None:
    """The (UUID) id of the master key wrapping the stored keyring, if any."""
    with deps.db.transaction(read_only=True) as tx:
        stored = tx.at_rest.keyring()
    return master_key_uuid(stored[1]) if stored else None


def unseal(deps: Deps) -> None:
    """Load the stored keyring with its master key (again, when already unsealed).

    Raises a StrongroomError saying why not (KmipFailure, IncorrectState); the barrier is
    unchanged then."""
    with deps.db.transaction(read_only=True) as tx:
        stored = tx.at_rest.keyring()
        if stored is None:
            raise IncorrectState("The store has no keyring (was the data directory initialized?)")
        wrapped, raw_id = stored
        record = tx.at_rest.master_key(master_key_uuid(raw_id))
    if record is None:
        record = adopt_internal_master_key(deps, raw_id)
    master = fetch_master_key(deps, record)
    try:
        deps.barrier.load(master, wrapped)
    except DecryptionFailed:
        raise IncorrectState(
            f"The master key {record.key_id} does not open the stored keyring"
        ) from None


def try_unseal(deps: Deps) -> bool:
    """:func:`unseal`, recording why it failed as the barrier's sealed reason (and in the
    log when the reason changes); True when unsealed."""
    try:
        unseal(deps)
    except (StrongroomError, OSError) as error:
        reason = _reason(error)
        if reason != deps.barrier.sealed_reason:
            log.warning("Strongroom stays sealed: %s", reason)
        deps.barrier.mark_sealed(reason)
        return False
    log.info("Strongroom is unsealed (master key %s)", deps.barrier.master_key_id)
    return True


def adopt_internal_master_key(deps: Deps, raw_id: str) -> MasterKeyRecord:
    """Record internal master key ``raw_id`` as active (at initialization, and for a store
    made before master keys had records)."""
    now = deps.clock.now()
    record = MasterKeyRecord(
        key_id=master_key_uuid(raw_id),
        management_type=ManagementType.INTERNAL,
        provider_id=None,
        kmip_uid=None,
        state=MasterKeyState.ACTIVE,
        time_created=now,
    )
    with deps.db.transaction() as tx:
        if tx.at_rest.master_key(record.key_id) is None:
            tx.at_rest.add_master_key(record, now)
    return record


def _reason(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return str(message)
