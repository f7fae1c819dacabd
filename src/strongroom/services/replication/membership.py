"""A region's own place in the realm: the home region registering itself, and a new region
joining through the home region."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from strongroom.domain.errors import IncorrectState
from strongroom.services.ports import Deps
from strongroom.services.replication.applier import start_from_snapshot
from strongroom.services.replication.credentials import (
    ACTIVE,
    new_credential,
    public_key_entries,
)
from strongroom.services.replication.invites import check_region_name, check_url
from strongroom.storage.realm_repository import RegionRecord

__all__ = ["JoinAnswer", "ensure_home_registered", "join_realm"]

JoinAnswer = dict[str, Any]


def ensure_home_registered(deps: Deps, url: str) -> None:
    """(Home region, at start-up) this region in the registry at ``url``, with a credential."""
    now = deps.clock.now()
    with deps.db.transaction() as tx:
        if not any(r.state == ACTIVE for r in tx.realm.credentials()):
            new_credential(deps, tx, ACTIVE)
        keys = public_key_entries(deps, tx)
        record = tx.realm.region(deps.region)
        if record is None:
            record = RegionRecord(deps.region, url, True, "ACTIVE", keys, now, now)
            tx.realm.save_region(record)
        elif record.url != url or record.public_keys != keys or not record.is_home:
            tx.realm.save_region(
                replace(record, url=url, public_keys=keys, is_home=True, time_updated=now)
            )


def join_realm(deps: Deps, home_url: str, token: str, own_url: str) -> JoinAnswer:
    """(A new region) make this region's credential, join through the home region at
    ``home_url`` with ``token``, and load the identity snapshot it answers; the answer."""
    assert deps.peers is not None
    check_region_name(deps.region)
    home_url, own_url = check_url(home_url), check_url(own_url)
    with deps.db.transaction() as tx:
        if tx.realm.regions():
            raise IncorrectState("This region already belongs to a realm")
        key = new_credential(deps, tx, ACTIVE)
    payload = {"token": token, "region": deps.region, "url": own_url, "publicKey": key["pem"]}
    answer = deps.peers.post(home_url, "/join", payload, None, 60.0)
    home = str(answer["home"])
    start_from_snapshot(deps, home, int(answer["seq"]), dict(answer["snapshot"]))
    return answer
