"""Leases: work that must happen once among several processes sharing one database.

A lease is a named row in storage (:mod:`strongroom.storage.lease_repository`) held by one
process at a time, identified by :func:`process_holder` (``host:pid:random``). A process takes
it when it is free or expired, renews it every :data:`RENEW_SECONDS` while alive (expiry
:data:`LEASE_SECONDS` ahead) and gives it up on shutdown; when the holder dies, its lease
expires and another process takes it over within ``LEASE_SECONDS + RENEW_SECONDS``.

A holder believes it holds the lease only until :data:`SAFETY_FRACTION` of the lease before
the expiry it wrote, so clocks of different hosts may differ by that much (2 s) without two
holders at once. Work claimed from tables is guarded as well (row locks, optimistic writes):
a lease keeps the work to one process; it is not the only thing that keeps it correct.

Time is ``deps.wall_clock``, not ``deps.clock``: expiries are compared between processes, in
real seconds; the service clock is moved by tests (days at a time, to make rotations due)
and would expire every lease, or none, when it moves.

Leases in use: ``scheduler`` (scheduled secret rotations and deletions) and ``ekm-health``
(EKM health checks of EXTERNAL vaults); see :mod:`strongroom.api.oci.app`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from strongroom import metrics
from strongroom.services.ports import Deps
from strongroom.storage.lease_repository import LeaseRecord

__all__ = [
    "LEASE_SECONDS",
    "RENEW_SECONDS",
    "SAFETY_FRACTION",
    "Lease",
    "LeaseView",
    "process_holder",
    "run_under_lease",
    "stored_leases",
]

LEASE_SECONDS = 10.0  # a lease not renewed for this long may be taken by another process
RENEW_SECONDS = 3.0  # how often a holder renews (and a waiting process tries to take it)
SAFETY_FRACTION = 0.2  # the holder stops believing this much of the lease before its expiry
log = logging.getLogger("strongroom.leases")
_holder: tuple[int, str] | None = None
_holder_lock = threading.Lock()  # threads starting together must agree on one id


@dataclass(frozen=True)
class LeaseView:
    """A stored lease as operators see it, and whether ``holder`` (this process) holds it."""

    record: LeaseRecord
    mine: bool
    expired: bool


def process_holder(deps: Deps) -> str:
    """This process's holder id, ``host:pid:random`` (made once per process)."""
    global _holder
    pid = os.getpid()
    with _holder_lock:
        if _holder is None or _holder[0] != pid:
            _holder = (pid, f"{socket.gethostname()}:{pid}:{deps.random_bytes(4).hex()}")
        return _holder[1]


class Lease:
    """One named lease as one holder sees it: take or renew, ask whether held, release."""

    def __init__(self, deps: Deps, name: str, holder: str, seconds: float = LEASE_SECONDS) -> None:
        self.deps = deps
        self.name = name
        self.holder = holder
        self.seconds = seconds
        self._believed_until = deps.wall_clock.now()
        self._lock = threading.Lock()

    def try_hold(self) -> bool:
        """Take the lease if free or expired, renew it if ours; True when held now."""
        now = self.deps.wall_clock.now()
        expires = now + timedelta(seconds=self.seconds)
        with self.deps.db.transaction() as tx:
            held = tx.leases.try_acquire(self.name, self.holder, now, expires)
        with self._lock:
            if held:
                margin = timedelta(seconds=self.seconds * SAFETY_FRACTION)
                self._believed_until = expires - margin
            else:
                self._believed_until = now
        return held

    def held(self) -> bool:
        """Whether this holder may do the lease's work now (renewed recently enough)."""
        with self._lock:
            return self.deps.wall_clock.now() < self._believed_until

    def release(self) -> None:
        """Give the lease up (if still ours), so another process takes it at once."""
        with self._lock:
            self._believed_until = self.deps.wall_clock.now()
        with self.deps.db.transaction() as tx:
            tx.leases.release(self.name, self.holder)

    def keep(self, stop: threading.Event, every: float = RENEW_SECONDS) -> None:
        """Take or renew the lease every ``every`` seconds until ``stop``, then release it;
        storage errors are logged and count as not holding it."""
        while not stop.is_set():
            try:
                self.try_hold()
            except Exception:
                with self._lock:
                    self._believed_until = self.deps.wall_clock.now()
                log.exception("could not renew lease %s; trying again", self.name)
            stop.wait(every)
        try:
            self.release()
        except Exception:
            log.warning("could not release lease %s; it expires by itself", self.name)


def run_under_lease(
    deps: Deps,
    name: str,
    interval: float,
    job: Callable[[], object],
    stop: threading.Event,
    holder: str | None = None,
) -> None:
    """Run ``job`` every ``interval`` seconds until ``stop``, only while this process holds
    lease ``name`` (kept by a thread of its own, released at the end); errors of ``job`` are
    logged and the next round tries again. Each round's outcome goes to the metrics as job
    ``name``'s (its last success, or a failure)."""
    lease = Lease(deps, name, holder or process_holder(deps))
    done = threading.Event()  # set once no job runs any more: then the lease is released
    keeper = threading.Thread(
        target=lease.keep, args=(done,), name=f"strongroom-lease-{name}", daemon=True
    )
    keeper.start()
    try:
        while not stop.wait(interval):
            if not lease.held():
                continue
            try:
                job()
            except Exception:
                log.exception("work under lease %s failed; retrying next round", name)
                metrics.job_failed(name)
            else:
                metrics.job_succeeded(name)
    finally:
        done.set()
        keeper.join(timeout=10)


def stored_leases(deps: Deps, holder: str | None = None) -> list[LeaseView]:
    """Every stored lease, marked ``mine`` when ``holder`` holds it and ``expired`` when its
    expiry has passed (by this process's wall clock)."""
    now = deps.wall_clock.now()
    with deps.db.transaction(read_only=True) as tx:
        records = tx.leases.list()
    return [
        LeaseView(r, mine=r.holder == holder and r.expires_at > now, expired=r.expires_at <= now)
        for r in records
    ]
