"""Pulling from the home region (a member's side): what the member has not applied yet, to
read its own forwarded writes at once and to catch up without waiting for a push."""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

from strongroom.domain.errors import IncorrectState, InvalidParameter, StrongroomError
from strongroom.services.ports import Deps
from strongroom.services.replication.applier import applied_seq, apply_entries
from strongroom.services.replication.credentials import signing_key
from strongroom.services.replication.shipping import BATCH, entries_payload
from strongroom.services.replication.streams import IDENTITY

__all__ = ["CATCH_UP_RETRY", "entries_for", "pull_until", "start_catching_up"]

CATCH_UP_DELAY = 0.5  # seconds after start-up before the first catch-up pull
CATCH_UP_RETRY = 5.0  # seconds between start-up catch-up attempts while the home is away
log = logging.getLogger("strongroom.replication")


def pull_until(deps: Deps, seq: int, stream: str = IDENTITY) -> int:
    """Pull and apply the home region's ``stream`` until it is applied up to ``seq`` (or
    there is nothing more); how far it is applied."""
    assert deps.peers is not None
    home = _home(deps)
    done = applied_seq(deps, deps.realm.home, stream)
    while done < seq:
        answer = deps.peers.post(
            home, "/pull", {"stream": stream, "after": done}, signing_key(deps)
        )
        entries = list(answer.get("entries", []))
        if not entries:
            break
        done = apply_entries(deps, deps.realm.home, stream, entries)
    return done


def entries_for(deps: Deps, region: str, stream: str, after: int) -> list[dict[str, Any]]:
    """(Home side) the next batch of ``stream`` for ``region`` after ``after``."""
    if stream != IDENTITY:
        raise InvalidParameter(f"No stream {stream!r} here")
    with deps.db.transaction(read_only=True) as tx:
        return entries_payload(tx.realm.outbox_after(stream, region, after, BATCH))


def _home(deps: Deps) -> str:
    with deps.db.transaction(read_only=True) as tx:
        record = tx.realm.region(deps.realm.home)
    if record is None:
        raise IncorrectState("The home region is not in the registry")
    return record.url


def start_catching_up(deps: Deps, stop: threading.Event) -> None:
    """(Member, at start-up) pull what the home region shipped while this region was away,
    in a thread, until it once succeeds (the call also tells the home region to ship here)."""

    def run() -> None:
        # Let the server start accepting first: the pull makes the home region ship here.
        stop.wait(CATCH_UP_DELAY)
        while not stop.is_set():
            try:
                pull_until(deps, sys.maxsize)
                return
            except StrongroomError as error:
                log.info("Catching up from the home region failed (%s); retrying", error)
            except Exception:
                log.exception("Catching up from the home region failed; retrying")
            stop.wait(CATCH_UP_RETRY)

    threading.Thread(target=run, name="strongroom-catch-up", daemon=True).start()
