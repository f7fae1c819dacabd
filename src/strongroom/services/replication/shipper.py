"""The home region's shipper: one thread that ships the identity stream to every linked
region, under a lease (one process of the region ships), woken by each new outbox entry,
retrying a failed region with backoff while the others go on; a region that calls in (it
started, or pulls) is retried at once."""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from strongroom.domain.errors import StrongroomError
from strongroom.services.leases import Lease, process_holder
from strongroom.services.ports import Deps
from strongroom.services.replication.shipping import StreamCodec, prune_outbox, ship_once
from strongroom.services.replication.streams import IDENTITY

__all__ = ["SHIP_LEASE", "Shipper", "start_shipper"]

SHIP_LEASE = "replication-ship"
IDLE_SECONDS = 1.0  # between rounds with nothing new (a missed wake-up costs at most this)
MAX_BACKOFF = 10.0
PRUNE_SECONDS = 60.0
ROUND_SECONDS = 0.05  # the shortest time between the starts of two rounds
# Under a steady stream of writes (a round carried BUSY_ENTRIES or more to a region) rounds
# start BUSY_ROUND_SECONDS apart: each call then carries more entries, and the cost of a call
# (its transactions, signature and HTTP exchange, at both ends) is shared by more of them.
BUSY_ENTRIES = 4
BUSY_ROUND_SECONDS = 0.2
RENEW_SECONDS = 3.0  # between renewals of the lease (it lasts 10 s)
log = logging.getLogger("strongroom.replication")


class Shipper:
    """The shipper's wake-up and per-region back-off (see :func:`start_shipper`)."""

    def __init__(self) -> None:
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        # Regions are shipped to side by side (a realm has a handful of regions).
        self.pool = ThreadPoolExecutor(8, thread_name_prefix="strongroom-ship")
        # (stream, region) -> the newest entry known shipped: a stream with nothing newer
        # for a region costs no call and no query of its own in a round.
        self.shipped: dict[tuple[str, str], int] = {}
        # (stream, destination) -> its newest entry, and the newest entry read: each round
        # reads only the entries written since (entries commit in sequence order).
        self.newest: dict[tuple[str, str | None], int] = {}
        self.seen = 0
        self._lock = threading.Lock()
        self._retry_at: dict[str, float] = {}
        self._failures: dict[str, int] = {}

    def stop(self, timeout: float = 5.0) -> None:
        """After the stop event was set: wake the thread and wait until it let go of its
        lease (a restarted process takes it over at once, not after its expiry)."""
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout)
        self.pool.shutdown(wait=False)

    def nudge(self, region: str) -> None:
        """Ship to ``region`` now (it called in: it is up)."""
        with self._lock:
            self._retry_at.pop(region, None)
            self._failures.pop(region, None)  # a failure now retries soon, not after minutes
        self.wake.set()

    def due(self, region: str, now: float) -> bool:
        with self._lock:
            return self._retry_at.get(region, 0.0) <= now

    def failed(self, region: str) -> int:
        """Back off ``region``; how many times in a row it failed."""
        with self._lock:
            count = self._failures[region] = self._failures.get(region, 0) + 1
            delay = min(MAX_BACKOFF, 0.1 * 2**count) * random.uniform(0.8, 1.2)
            self._retry_at[region] = time.monotonic() + delay
            return count

    def succeeded(self, region: str) -> bool:
        """Forget ``region``'s failures; whether it had any."""
        with self._lock:
            self._retry_at.pop(region, None)
            return self._failures.pop(region, None) is not None

    def next_wait(self) -> float:
        with self._lock:
            soonest = min(self._retry_at.values(), default=time.monotonic() + IDLE_SECONDS)
        return max(0.0, min(IDLE_SECONDS, soonest - time.monotonic()))


def start_shipper(
    deps: Deps, stop: threading.Event, codecs: dict[str, StreamCodec] | None = None
) -> Shipper:
    """Start the shipper thread (identity from the home region, and the streams of
    ``codecs`` from every region); set its ``wake`` on outbox writes."""
    shipper = Shipper()
    deps.shipper = shipper
    shipper.thread = threading.Thread(
        target=_run,
        args=(deps, stop, shipper, dict(codecs or {})),
        name="strongroom-replication",
        daemon=True,
    )
    shipper.thread.start()
    return shipper


def _run(
    deps: Deps, stop: threading.Event, shipper: Shipper, codecs: dict[str, StreamCodec]
) -> None:
    lease = Lease(deps, SHIP_LEASE, process_holder(deps))
    pruned = renewed = started = 0.0
    gap = ROUND_SECONDS
    while not stop.is_set():
        # Rounds start at most every ROUND_SECONDS: under a stream of writes a call then
        # carries the entries of several (the cost of a call is shared), for a few ms of lag.
        stop.wait(max(0.0, started + gap - time.monotonic()))
        shipper.wake.clear()  # before the round: a write during it wakes the next wait at once
        started = time.monotonic()
        try:
            due = started - renewed > RENEW_SECONDS or not lease.held()
            if due and lease.try_hold():
                renewed = started
            if lease.held():
                more, carried = _round(deps, shipper, codecs)
                gap = BUSY_ROUND_SECONDS if carried >= BUSY_ENTRIES else ROUND_SECONDS
                if time.monotonic() - pruned > PRUNE_SECONDS:
                    for stream in (IDENTITY, *codecs):
                        prune_outbox(deps, stream)
                    pruned = time.monotonic()
                if more:
                    continue
        except Exception:
            log.exception("replication round failed; trying again")
        shipper.wake.wait(shipper.next_wait())
    lease.release()


def _round(deps: Deps, shipper: Shipper, codecs: dict[str, StreamCodec]) -> tuple[bool, int]:
    """Ship to every linked region due, to each in a thread of its own (a slow region does
    not hold the others up); whether some region has more waiting, and the most entries
    shipped to one region."""
    with deps.db.transaction(read_only=True) as tx:
        names = [
            r.name for r in tx.realm.regions() if r.name != deps.region and r.state == "ACTIVE"
        ]
        newer = tx.realm.newest_by_destination(after=shipper.seen)
    shipper.newest.update(newer)
    shipper.seen = max([shipper.seen, *newer.values()])
    newest = dict(shipper.newest)
    streams: list[tuple[str, StreamCodec | None]] = list(codecs.items())
    if deps.realm.is_home:
        streams.insert(0, (IDENTITY, None))
    due = [name for name in names if shipper.due(name, time.monotonic())]

    def ship(name: str) -> tuple[bool, int]:
        return _ship_to(deps, shipper, name, streams, newest)

    done = [ship(name) for name in due] if len(due) <= 1 else list(shipper.pool.map(ship, due))
    return any(more for more, _ in done), max([n for _, n in done], default=0)


def _ship_to(
    deps: Deps,
    shipper: Shipper,
    name: str,
    streams: list[tuple[str, StreamCodec | None]],
    newest: dict[tuple[str, str | None], int],
) -> tuple[bool, int]:
    """Ship every stream with something new to region ``name`` once; whether more waits,
    and how many entries went."""
    more, carried = False, 0
    try:
        for stream, codec in streams:
            latest = max(newest.get((stream, None), 0), newest.get((stream, name), 0))
            if shipper.shipped.get((stream, name), -1) >= latest:
                continue
            result = ship_once(deps, name, stream, codec)
            carried += result.shipped
            if not result.more:
                shipper.shipped[(stream, name)] = latest
            more = result.more or more
    except StrongroomError as error:
        count = shipper.failed(name)
        if count == 1 or count % 10 == 0:
            log.warning("Shipping to %s failed (%d): %s", name, count, error)
        return False, carried
    if shipper.succeeded(name):
        log.info("Shipping to %s works again", name)
    return more, carried
