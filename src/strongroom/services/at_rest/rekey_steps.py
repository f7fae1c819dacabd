"""The steps of a rekey (see :mod:`.rekey`), each recorded in its async result's details.

CreateNewMasterKey records the new key (pending) before making it, so a crash leaves a trace
to clean up; RewrapDataEncryptionKeys commits the rewrapped keyring, the new key active and the
old one decommissioning in one transaction (the point of no return); DecommissionOldMasterKey
destroys the old key and completes the result.
"""

from __future__ import annotations

import logging
import os
import threading

from strongroom.barrier.master_key import InternalMasterKey, MasterKey
from strongroom.domain.at_rest import (
    KmipFailure,
    ManagementType,
    MasterKeyRecord,
    MasterKeyState,
    RekeyStep,
    master_key_uuid,
)
from strongroom.domain.errors import IncorrectState, StrongroomError
from strongroom.services.at_rest.master_keys import destroy_master_key, provider_server
from strongroom.services.leases import Lease
from strongroom.services.ports import Deps

__all__ = [
    "decommission",
    "key_fields",
    "mark_running",
    "roll_back",
    "run",
    "run_with_lease",
    "running_here",
]

log = logging.getLogger("strongroom.at_rest")
_running: set[int] = set()  # rekeys running in this process (their lease is this process's)
_running_lock = threading.Lock()


def key_fields(key_id: str, kind: ManagementType, provider_id: int | None) -> dict[str, object]:
    """A master key as the async result's details and result name it."""
    return {"key_id": key_id, "management_type": kind.value, "provider_id": provider_id}


def mark_running(handle: int) -> None:
    """Note that this process runs rekey ``handle`` (its keeper then leaves it alone)."""
    with _running_lock:
        _running.add(handle)


def running_here() -> bool:
    """Whether this process runs a rekey now."""
    with _running_lock:
        return bool(_running)


def run_with_lease(deps: Deps, handle: int, lease: Lease) -> None:
    """Run rekey ``handle`` while keeping ``lease`` (released at the end)."""
    stop = threading.Event()
    keeper = threading.Thread(target=lease.keep, args=(stop,), daemon=True)
    keeper.start()
    try:
        run(deps, handle)
    finally:
        with _running_lock:
            _running.discard(handle)
        stop.set()
        keeper.join(timeout=10)


def run(deps: Deps, handle: int) -> None:
    """Run rekey ``handle`` from its first step; a failure before the rewrap rolls it back,
    one after it completes the rekey with what could not be done."""
    details = _details(deps, handle)
    try:
        master = _create(deps, handle, details)
    except Exception as error:
        log.warning("Rekey %d failed creating the new master key: %s", handle, _text(error))
        roll_back(deps, handle, details, f"Creating the new master key failed: {_text(error)}")
        return
    try:
        _rewrap(deps, handle, details, master)
    except Exception as error:
        log.warning("Rekey %d failed rewrapping the keyring: %s", handle, _text(error))
        roll_back(deps, handle, details, f"Rewrapping the keyring failed: {_text(error)}")
        return
    decommission(deps, handle, details)


def _details(deps: Deps, handle: int) -> dict[str, object]:
    with deps.db.transaction(read_only=True) as tx:
        result = tx.at_rest.async_result(handle)
    if result is None:
        raise IncorrectState(f"Async result {handle} is gone")
    return result.details


def _new(details: dict[str, object]) -> dict[str, object]:
    new = details["new"]
    assert isinstance(new, dict)
    return new


def _old(details: dict[str, object]) -> dict[str, object]:
    old = details["old"]
    assert isinstance(old, dict)
    return old


def _step(deps: Deps, handle: int, details: dict[str, object], step: RekeyStep) -> None:
    details["state"] = step.value
    with deps.db.transaction() as tx:
        tx.at_rest.update_async_result(handle, deps.clock.now(), details=details)


def _create(deps: Deps, handle: int, details: dict[str, object]) -> MasterKey:
    """Record the new key (pending), make it where it lives, and read it back."""
    new = _new(details)
    key_id, kind = str(new["key_id"]), ManagementType(str(new["management_type"]))
    provider_id = new["provider_id"]
    now = deps.clock.now()
    pid = int(str(provider_id)) if provider_id is not None else None
    record = MasterKeyRecord(key_id, kind, pid, None, MasterKeyState.PENDING, now)
    with deps.db.transaction() as tx:
        tx.at_rest.add_master_key(record, now)
        server = provider_server(tx, pid) if pid is not None else None
    if server is None:
        if deps.data_dir is None:
            raise IncorrectState("No data directory for an internal master key")
        filename = InternalMasterKey.pending_filename(key_id)
        return InternalMasterKey.create(deps.data_dir, key_id, filename)
    if deps.kmip is None:
        raise KmipFailure("config", "KMIP is not configured in this process")
    with deps.kmip.session(server) as session:
        uid = session.create_master_key(f"strongroom-master-{key_id}")
        with deps.db.transaction() as tx:
            tx.at_rest.set_master_key(key_id, deps.clock.now(), MasterKeyState.PENDING, uid)
        # Wrap with what a KMIP Get answers: exactly what unsealing will fetch.
        material = session.get_key(uid)
    return MasterKey(material, key_id, ManagementType.EXTERNAL.value)


def _rewrap(deps: Deps, handle: int, details: dict[str, object], master: MasterKey) -> None:
    """Rewrap the keyring under ``master``: one transaction, the point of no return."""
    _step(deps, handle, details, RekeyStep.REWRAP_DATA_ENCRYPTION_KEYS)
    serialized = deps.barrier.keyring.serialize()
    wrapped = master.wrap(serialized)
    if master.unwrap(wrapped) != serialized:
        raise IncorrectState("The new master key does not open what it wrapped")
    old_id, new_id = str(_old(details)["key_id"]), str(_new(details)["key_id"])
    now = deps.clock.now()
    details["state"] = RekeyStep.DECOMMISSION_OLD_MASTER_KEY.value
    with deps.db.transaction() as tx:
        stored = tx.at_rest.keyring(for_update=True)
        if stored is None or master_key_uuid(stored[1]) != old_id:
            raise IncorrectState("The keyring was rewrapped by someone else meanwhile")
        tx.at_rest.save_keyring(wrapped, new_id, now)
        tx.at_rest.set_master_key(new_id, now, MasterKeyState.ACTIVE)
        tx.at_rest.set_master_key(old_id, now, MasterKeyState.DECOMMISSIONING)
        tx.at_rest.update_async_result(handle, now, details=details)
    deps.barrier.load(master, wrapped)


def decommission(deps: Deps, handle: int, details: dict[str, object]) -> None:
    """Put the new internal key file in place, destroy the old key, complete the result."""
    old, new = _old(details), _new(details)
    old_id, new_id = str(old["key_id"]), str(new["key_id"])
    note = _retire_files(deps, old, new)
    with deps.db.transaction(read_only=True) as tx:
        old_record = tx.at_rest.master_key(old_id)
    state = MasterKeyState.DESTROYED
    if old_record is not None and old_record.management_type is ManagementType.EXTERNAL:
        try:
            destroy_master_key(deps, old_record)
        except (StrongroomError, OSError) as error:
            state = MasterKeyState.DECOMMISSIONING  # retried by the keeper
            note = f"; the old key is not destroyed yet ({_text(error)}), retried later"
    details["state"] = RekeyStep.READY.value
    operation = (
        f"Rekeyed the master key from {old['management_type']} key {old_id} to "
        f"{new['management_type']} key {new_id}{note}"
    )
    result: dict[str, object] = {
        "key_to_decommission": old,
        "new_key": new,
        "operation": operation,
    }
    with deps.db.transaction() as tx:
        tx.at_rest.set_master_key(old_id, deps.clock.now(), state)
        tx.at_rest.update_async_result(
            handle, deps.clock.now(), details=details, result=result, complete=True
        )
    log.info("Rekey %d complete: %s", handle, operation)


def _retire_files(deps: Deps, old: dict[str, object], new: dict[str, object]) -> str:
    """The new internal key file replaces ``master.key``; an old internal key's file goes."""
    data_dir = deps.data_dir
    if data_dir is None:
        return ""
    current = data_dir / InternalMasterKey.FILENAME
    if new["management_type"] == ManagementType.INTERNAL.value:
        pending = data_dir / InternalMasterKey.pending_filename(str(new["key_id"]))
        if pending.exists():
            os.replace(pending, current)
        return ""
    if old["management_type"] == ManagementType.INTERNAL.value and current.exists():
        key = InternalMasterKey.load(data_dir)
        if master_key_uuid(key.key_id) == old["key_id"]:
            current.unlink()
    return ""


def roll_back(deps: Deps, handle: int, details: dict[str, object], reason: str) -> None:
    """Undo a rekey whose keyring was not rewrapped: destroy the new key (if made), mark it
    abandoned, and complete the result with the error. The old master key stays."""
    new = _new(details)
    key_id = str(new["key_id"])
    with deps.db.transaction(read_only=True) as tx:
        record = tx.at_rest.master_key(key_id)
        stored = tx.at_rest.keyring()
    if stored is not None and master_key_uuid(stored[1]) == key_id:
        decommission(deps, handle, details)  # rewrapped after all: never undo that
        return
    note = ""
    if record is not None:
        try:
            destroy_master_key(deps, record)
        except (StrongroomError, OSError) as error:
            note = f" (the new key {record.kmip_uid} could not be destroyed: {_text(error)})"
    if deps.data_dir is not None:
        (deps.data_dir / InternalMasterKey.pending_filename(key_id)).unlink(missing_ok=True)
    outcome: dict[str, object] = {"name": "xRekeyFailed", "message": f"{reason}; rolled back{note}"}
    details["state"] = RekeyStep.READY.value
    with deps.db.transaction() as tx:
        if record is not None:
            tx.at_rest.set_master_key(key_id, deps.clock.now(), MasterKeyState.ABANDONED)
        tx.at_rest.update_async_result(
            handle, deps.clock.now(), details=details, error=outcome, complete=True
        )


def _text(error: BaseException) -> str:
    return str(getattr(error, "message", None) or error or type(error).__name__)
