"""The home region's shipper: one thread that ships the identity stream to every linked
region, under a lease (one process of the region ships), woken by each new outbox entry,
retrying a failed region with backoff while the others go on."""

from __future__ import annotations

import logging
import random
import threading
import time

from strongroom.domain.errors import StrongroomError
from strongroom.services.leases import Lease, process_holder
from strongroom.services.ports import Deps
from strongroom.services.replication.shipping import prune_outbox, ship_once
from strongroom.services.replication.streams import IDENTITY

__all__ = ["SHIP_LEASE", "start_shipper"]

SHIP_LEASE = "replication-ship"
IDLE_SECONDS = 1.0  # between rounds with nothing new (a missed wake-up costs at most this)
MAX_BACKOFF = 30.0
PRUNE_SECONDS = 60.0
log = logging.getLogger("strongroom.replication")


def start_shipper(deps: Deps, stop: threading.Event) -> threading.Event:
    """Start the shipper thread; the event it returns wakes it (set on outbox writes)."""
    wake = threading.Event()
    threading.Thread(
        target=_run, args=(deps, stop, wake), name="strongroom-replication", daemon=True
    ).start()
    return wake


def _run(deps: Deps, stop: threading.Event, wake: threading.Event) -> None:
    lease = Lease(deps, SHIP_LEASE, process_holder(deps))
    retry_at: dict[str, float] = {}
    failures: dict[str, int] = {}
    pruned = 0.0
    while not stop.is_set():
        wake.clear()  # before the round: a write during it wakes the next wait at once
        try:
            if lease.try_hold():
                more = _round(deps, retry_at, failures)
                if time.monotonic() - pruned > PRUNE_SECONDS:
                    prune_outbox(deps)
                    pruned = time.monotonic()
                if more:
                    continue
        except Exception:
            log.exception("replication round failed; trying again")
        soonest = min(retry_at.values(), default=time.monotonic() + IDLE_SECONDS)
        wake.wait(max(0.0, min(IDLE_SECONDS, soonest - time.monotonic())))
    lease.release()


def _round(deps: Deps, retry_at: dict[str, float], failures: dict[str, int]) -> bool:
    """Ship to every linked region due; whether some region has more waiting."""
    with deps.db.transaction(read_only=True) as tx:
        names = [r.name for r in tx.realm.regions() if not r.is_home and r.state == "ACTIVE"]
    more = False
    now = time.monotonic()
    for name in names:
        if retry_at.get(name, 0.0) > now:
            continue
        try:
            result = ship_once(deps, name, IDENTITY)
        except StrongroomError as error:
            count = failures[name] = failures.get(name, 0) + 1
            delay = min(MAX_BACKOFF, 0.1 * 2**count) * random.uniform(0.8, 1.2)
            retry_at[name] = time.monotonic() + delay
            if count == 1 or count % 10 == 0:
                log.warning("Shipping identity to %s failed (%d): %s", name, count, error)
            continue
        if failures.pop(name, None):
            log.info("Shipping identity to %s works again", name)
        retry_at.pop(name, None)
        more = more or result.more
    return more
