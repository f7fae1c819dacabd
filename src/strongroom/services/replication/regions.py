"""The operators' view of the realm and their changes to it: list regions with their state,
unlink a region, rotate this region's credentials."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, replace
from datetime import datetime

from strongroom.domain.errors import Conflict, IncorrectState, NotFound, StrongroomError
from strongroom.services.ports import Deps
from strongroom.services.replication.credentials import (
    ACTIVE,
    NEXT,
    new_credential,
    public_key_entries,
    signing_key,
)
from strongroom.services.replication.streams import IDENTITY
from strongroom.storage.realm_repository import RegionRecord

__all__ = [
    "RegionView",
    "list_regions",
    "mark_unlinked",
    "rotate_credentials",
    "save_public_keys",
    "unlink_region",
]


@dataclass(frozen=True)
class RegionView:
    """A region as ``region list`` shows it. ``lag_entries``/``lag_seconds``: identity changes
    the region has not applied yet and the age of the oldest (from the home region's side, or
    this member's own); ``reachable`` is None when not probed."""

    name: str
    url: str
    is_home: bool
    state: str
    this_region: bool
    reachable: bool | None
    lag_entries: int | None
    lag_seconds: float | None
    last_error: str | None
    last_contact: datetime | None


def list_regions(deps: Deps, probe: bool = True) -> list[RegionView]:
    """Every region of the realm as this region knows it."""
    now = deps.clock.now()
    with deps.db.transaction(read_only=True) as tx:
        regions = tx.realm.regions()
        last = tx.realm.last_seq(IDENTITY)
        cursors = {r.name: tx.realm.cursor(r.name, IDENTITY) for r in regions}
        oldest = {
            r.name: tx.realm.first_unacked_time(IDENTITY, r.name, cursors[r.name].acked_seq)
            for r in regions
        }
        inbound = {(s, st): (seq, when) for s, st, seq, when in tx.realm.inbound()}
    views = []
    for region in regions:
        mine = region.name == deps.region
        lag: int | None = None
        age: float | None = None
        error: str | None = None
        contact: datetime | None = None
        if deps.realm.is_home and not region.is_home:
            cursor = cursors[region.name]
            lag = max(0, last - cursor.acked_seq)
            first = oldest[region.name]
            age = (now - first).total_seconds() if lag and first else 0.0
            error, contact = cursor.last_error, cursor.time_acked
        elif mine and not region.is_home:
            _, contact = inbound.get((deps.realm.home, IDENTITY), (0, None))
        reachable = _probe(deps, region) if probe and not mine else None
        views.append(
            RegionView(
                region.name,
                region.url,
                region.is_home,
                region.state,
                mine,
                reachable,
                lag,
                age,
                error,
                contact,
            )
        )
    return views


def _probe(deps: Deps, region: RegionRecord) -> bool:
    if deps.peers is None or region.state != "ACTIVE":
        return False
    try:
        deps.peers.post(region.url, "/ping", {"region": deps.region}, signing_key(deps), 3.0)
    except StrongroomError:
        return False
    return True


def unlink_region(deps: Deps, name: str) -> None:
    """(Home region) stop replicating to ``name`` and refuse its calls; it keeps its data and
    serves it read-only. It is told so if it can be reached."""
    if not deps.realm.is_home:
        raise Conflict(f"Regions are unlinked by the home region ({deps.realm.home})")
    now = deps.clock.now()
    with deps.db.transaction() as tx:
        region = tx.realm.region(name)
        if region is None:
            raise NotFound(f"No region {name} in this realm")
        if region.is_home:
            raise Conflict("The home region cannot be unlinked")
        if region.state != "ACTIVE":
            raise IncorrectState(f"Region {name} is already unlinked")
        tx.realm.save_region(_with(region, state="UNLINKED", time_updated=now))
    if deps.peers is not None:
        # If it cannot be told now, it learns when it next calls: its calls are refused.
        with contextlib.suppress(StrongroomError):
            deps.peers.post(region.url, "/unlinked", {"region": name}, signing_key(deps), 3.0)


def mark_unlinked(deps: Deps) -> None:
    """(Member) the home region unlinked this region: identity stays read-only here."""
    with deps.db.transaction() as tx:
        own = tx.realm.region(deps.region)
        if own is not None and own.state == "ACTIVE":
            tx.realm.save_region(_with(own, state="UNLINKED", time_updated=deps.clock.now()))


def save_public_keys(deps: Deps, name: str, keys: list[dict[str, str]]) -> int:
    """(Home) record the public keys region ``name`` signs with now (1 or 2 during a
    rotation); the identity stream position that carries them to the other regions."""
    if not 1 <= len(keys) <= 2 or any(set(k) != {"fingerprint", "pem"} for k in keys):
        raise IncorrectState("A region publishes one or two public keys")
    with deps.db.transaction() as tx:
        region = tx.realm.region(name)
        if region is None or region.state != "ACTIVE":
            raise NotFound(f"No linked region {name}")
        tx.realm.save_region(_with(region, public_keys=keys, time_updated=deps.clock.now()))
    with deps.db.transaction(read_only=True) as tx:
        return tx.realm.last_seq(IDENTITY)


def rotate_credentials(deps: Deps, wait_seconds: float = 30.0) -> str:
    """Replace this region's signing key without a moment when calls are refused: publish the
    new key beside the old, wait until every region has it, sign with it, then drop the old
    one. Run again after a failure, it finishes with the same new key. The new fingerprint."""
    with deps.db.transaction() as tx:
        pending = [r for r in tx.realm.credentials() if r.state == NEXT]
        fresh = (
            pending[-1].fingerprint if pending else new_credential(deps, tx, NEXT)["fingerprint"]
        )
        keys = public_key_entries(deps, tx)
    seq = _publish(deps, keys)
    if deps.realm.is_home:
        _wait_for_members(deps, seq, wait_seconds)
    with deps.db.transaction() as tx:
        for record in tx.realm.credentials():
            if record.state == ACTIVE:
                tx.realm.delete_credential(record.fingerprint)
        tx.realm.set_credential_state(fresh, ACTIVE)
        keys = public_key_entries(deps, tx)
    _publish(deps, keys)
    return fresh


def _publish(deps: Deps, keys: list[dict[str, str]]) -> int:
    if deps.realm.is_home:
        return save_public_keys(deps, deps.region, keys)
    assert deps.peers is not None
    with deps.db.transaction(read_only=True) as tx:
        home = tx.realm.region(deps.realm.home)
    if home is None:
        raise IncorrectState("The home region is not in this region's registry")
    answer = deps.peers.post(home.url, "/credentials", {"publicKeys": keys}, signing_key(deps))
    return int(answer["seq"])


def _wait_for_members(deps: Deps, seq: int, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while True:
        with deps.db.transaction(read_only=True) as tx:
            behind = [
                r.name
                for r in tx.realm.regions()
                if not r.is_home
                and r.state == "ACTIVE"
                and tx.realm.cursor(r.name, IDENTITY).acked_seq < seq
            ]
        if not behind:
            return
        if time.monotonic() > deadline:
            raise IncorrectState(
                f"Regions {', '.join(behind)} have not received the new key yet; both keys "
                "stay accepted: run the rotation again once they are reachable"
            )
        time.sleep(0.2)


def _with(region: RegionRecord, **changes: object) -> RegionRecord:
    return replace(region, **changes)  # type: ignore[arg-type]
