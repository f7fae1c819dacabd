"""Which processes share the database: each holds a lease named after itself while it runs.

An internal master key is a file in one data directory, so a rekey to internal management is
refused while other processes use the same database (see :mod:`.rekey`).
"""

from __future__ import annotations

import threading

from strongroom.services.leases import Lease, process_holder, stored_leases
from strongroom.services.ports import Deps

__all__ = ["PRESENCE_PREFIX", "keep_present", "other_processes"]

PRESENCE_PREFIX = "process:"


def keep_present(deps: Deps, stop: threading.Event) -> threading.Thread:
    """Hold this process's presence lease (renewed in a thread) until ``stop``."""
    holder = process_holder(deps)
    lease = Lease(deps, PRESENCE_PREFIX + holder, holder)
    lease.try_hold()
    keeper = threading.Thread(
        target=lease.keep, args=(stop,), name="strongroom-presence", daemon=True
    )
    keeper.start()
    return keeper


def other_processes(deps: Deps) -> list[str]:
    """Holder ids of the other live processes on this database."""
    me = process_holder(deps)
    return [
        view.record.holder
        for view in stored_leases(deps, me)
        if view.record.name.startswith(PRESENCE_PREFIX)
        and not view.expired
        and view.record.holder != me
    ]
