"""Leases (services.leases) on SQLite and PostgreSQL: acquire, renew, expire, take over, release
with a controlled wall clock; never two holders at once under churn; and scheduled rotation
that comes due once runs once when two "processes" (two Deps, two engines) run it."""

from __future__ import annotations

import itertools
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from strongroom.domain.secret import GenerationContext, RotationConfig
from strongroom.services import leases
from strongroom.services.context import Call
from strongroom.services.leases import Lease, run_under_lease, stored_leases
from strongroom.services.ports import Deps
from strongroom.services.secrets import secrets
from strongroom.services.secrets.rotation import run_scheduled_work
from strongroom.storage.engine import make_engine
from strongroom.storage.unit_of_work import Database
from tests.clock import ManualClock
from tests.usecases import secret_support as s
from tests.usecases.secret_support import NewAesKey, NewVault

PASSPHRASE = GenerationContext("PASSPHRASE", "SECRETS_DEFAULT_PASSWORD", passphrase_length=20)


def _name() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def _at(deps: Deps, wall: ManualClock) -> Deps:
    """``deps`` whose wall clock is ``wall``."""
    return replace(deps, wall_clock=wall)


def test_acquire_renew_expire_take_over_and_release(deps: Deps) -> None:
    wall = ManualClock()
    d, name = _at(deps, wall), _name()
    a, b = Lease(d, name, "host-a:1:aa"), Lease(d, name, "host-b:2:bb")
    started = wall.now()
    assert a.try_hold() and a.held()
    assert not b.try_hold() and not b.held()  # held by a, not expired

    wall.advance(timedelta(seconds=5))
    assert a.try_hold()  # renewed: expires 10 s from now, still "since" the first take
    (view,) = [v for v in stored_leases(d, a.holder) if v.record.name == name]
    assert (view.record.holder, view.mine, view.expired) == (a.holder, True, False)
    assert view.record.acquired_at == started
    assert view.record.expires_at == started + timedelta(seconds=15)

    wall.advance(timedelta(seconds=8))  # a's expiry is 2 s away: a stops believing it holds it
    assert not a.held()
    assert not b.try_hold()  # but it has not expired yet
    wall.advance(timedelta(seconds=2, milliseconds=1))  # a died: its lease has expired
    assert b.try_hold() and b.held()
    assert not a.try_hold() and not a.held()
    (view,) = [v for v in stored_leases(d, a.holder) if v.record.name == name]
    assert (view.record.holder, view.mine) == (b.holder, False)
    assert view.record.acquired_at == wall.now()

    a.release()  # not a's any more: nothing happens
    assert not a.try_hold()
    b.release()
    assert not b.held()
    assert a.try_hold()  # released: taken at once, no waiting for expiry


def test_never_two_holders_under_churn(deps: Deps) -> None:
    """Six threads compete for one short lease for three seconds, taking, renewing, releasing
    and "dying" (no renewal, a new holder id); each records when it believed it held it."""
    name, seconds = _name(), 0.6
    intervals: list[tuple[float, float, str]] = []
    record = threading.Lock()
    end = time.monotonic() + 3.0

    def wall_seconds() -> float:
        return deps.wall_clock.now().timestamp()

    def compete(worker: int) -> None:
        rng = random.Random(worker)
        lease = Lease(deps, name, f"w{worker}:0", seconds=seconds)
        start: float | None = None
        life = 0
        while time.monotonic() < end:
            if lease.try_hold():
                start = wall_seconds() if start is None else start
            time.sleep(rng.uniform(0, 0.05))
            roll = rng.random()
            if start is not None and roll < 0.15:  # release
                with record:
                    intervals.append((start, wall_seconds(), lease.holder))
                lease.release()
                start = None
            elif start is not None and roll < 0.25:  # die: believed only until its margin
                until = lease._believed_until.timestamp()
                with record:
                    intervals.append((start, until, lease.holder))
                life += 1
                lease = Lease(deps, name, f"w{worker}:{life}", seconds=seconds)
                start = None
        if start is not None:
            with record:
                intervals.append((start, wall_seconds(), lease.holder))
            lease.release()

    threads = [threading.Thread(target=compete, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    intervals.sort()
    assert len({holder for _, _, holder in intervals}) >= 3, intervals  # it did change hands
    for (_, first_end, first), (second_start, _, second) in itertools.pairwise(intervals):
        assert first_end <= second_start, f"{first} and {second} held {name} at once"


def _second_process(deps: Deps) -> Deps:
    """Another "process" on the same database: its own engine and connections."""
    url = deps.db.engine.url.render_as_string(hide_password=False)
    return replace(deps, db=Database(make_engine(url)))


def _latest(deps: Deps, call: Call, secret_id: str) -> int:
    return secrets.get_secret(deps, call, secrets.GetSecretRequest(secret_id)).latest


def test_a_due_rotation_runs_once_with_two_processes(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    rotation = RotationConfig(interval_days=1, scheduled=True)
    made = s.create(
        deps, admin_call, new_vault, new_aes_key, content=None, generation=PASSPHRASE,
        auto_generation=True, rotation=rotation,
    )  # fmt: skip
    other = _second_process(deps)
    try:
        # Without leases, both run the round at once ("two holders by accident").
        clock.advance(timedelta(days=1))
        go = threading.Barrier(2)

        def round_of(d: Deps) -> None:
            go.wait()
            run_scheduled_work(d)

        both = [threading.Thread(target=round_of, args=(d,)) for d in (deps, other)]
        for thread in both:
            thread.start()
        for thread in both:
            thread.join()
        assert _latest(deps, admin_call, made.id) == 2

        # Under the scheduler lease, one of them runs the rounds.
        clock.advance(timedelta(days=1))
        stop, ran = threading.Event(), Counter[str]()
        name = _name()

        def leased(d: Deps, holder: str) -> None:
            def job() -> None:
                ran[holder] += 1
                run_scheduled_work(d)

            run_under_lease(d, name, 0.05, job, stop, holder=holder)

        workers = [
            threading.Thread(target=leased, args=(d, h))
            for d, h in ((deps, "p1:1:aa"), (other, "p2:2:bb"))
        ]
        for thread in workers:
            thread.start()
        time.sleep(1.0)
        stop.set()
        for thread in workers:
            thread.join()
        assert len(ran) == 1 and sum(ran.values()) >= 5, ran
        assert _latest(deps, admin_call, made.id) == 3
        assert all(v.record.name != name for v in stored_leases(deps))  # released at the end
    finally:
        other.db.engine.dispose()


def test_the_process_holder_names_host_and_pid(deps: Deps) -> None:
    holder = leases.process_holder(deps)
    seen: set[str] = set()
    leases._holder = None  # threads asking at once (the scheduler, the EKM poller) agree
    asking = [
        threading.Thread(target=lambda: seen.add(leases.process_holder(deps))) for _ in range(8)
    ]
    for thread in asking:
        thread.start()
    for thread in asking:
        thread.join()
    assert len(seen) == 1
    holder = leases.process_holder(deps)
    host, pid, random_part = holder.split(":")
    assert host and int(pid) > 0 and len(random_part) == 8
    assert leases.process_holder(deps) == holder
    assert datetime.now(UTC) >= deps.wall_clock.now() - timedelta(seconds=1)
