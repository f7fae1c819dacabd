"""Two regions of one realm on two databases, for the replication use-case tests: the home
region (``strongroom init``, identity captured into the outbox) and member regions that join
it, connected by :class:`FakePeers`, which calls the other side's services directly (the
payloads and answers round-tripped through JSON, and signed calls checked by the receiver's
``authenticate_region``, as the realm endpoints do)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest

from strongroom.api.oci.signature import signed_request
from strongroom.app import initialize, open_deps
from strongroom.barrier.barrier import Barrier
from strongroom.barrier.master_key import InternalMasterKey
from strongroom.config import Settings
from strongroom.crypto.request_signing import sign_request
from strongroom.domain.errors import StrongroomError
from strongroom.services.at_rest.unseal import adopt_internal_master_key
from strongroom.services.identity.authorizer import PolicyAuthorizer
from strongroom.services.identity.bootstrap import AdminIdentity
from strongroom.services.ports import Deps
from strongroom.services.realm_port import (
    MEMBER,
    PeerRefused,
    PeerUnreachable,
    RealmConfig,
    SigningKey,
)
from strongroom.services.replication.applier import apply_entries
from strongroom.services.replication.credentials import authenticate_region
from strongroom.services.replication.invites import accept_join, invite_region
from strongroom.services.replication.membership import ensure_home_registered, join_realm
from strongroom.services.replication.pulling import entries_for
from strongroom.services.replication.regions import mark_unlinked
from strongroom.storage.unit_of_work import Database
from tests.clock import ManualClock
from tests.integration import storage_support
from tests.usecases.conftest import close_deps

HOME = storage_support.REGION
HOME_URL = "https://home.realm.test"
PREFIX = "/_strongroom/realm/v1"


def url_of(region: str) -> str:
    return f"https://{region}.realm.test"


def _json(value: Any) -> Any:
    # (Column names are SQLAlchemy's str subclass: the realm endpoints allow such keys too.)
    return orjson.loads(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))


class FakePeers:
    """The realm port over direct calls: ``regions`` maps a region's URL to its ``Deps``."""

    def __init__(self) -> None:
        self.regions: dict[str, Deps] = {}
        self.calls: list[tuple[str, str]] = []

    def post(
        self,
        url: str,
        path: str,
        payload: dict[str, Any],
        key: SigningKey | None,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        self.calls.append((url, path))
        deps = self.regions.get(url)
        if deps is None:
            raise PeerUnreachable(f"{url} does not answer")
        data = _json(payload)
        try:
            if path == "/join":
                joined = accept_join(
                    deps, data["token"], data["region"], data["url"], data["publicKey"]
                )
                answer = {
                    "home": joined.home,
                    "seq": joined.seq,
                    "snapshot": joined.snapshot,
                    "admin": joined.admin,
                }
                return dict(_json(answer))
            if key is None:
                raise PeerRefused(401, "NotAuthenticated", "unsigned")
            body = orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS)
            headers = sign_request(
                "POST", PREFIX + path, url.split("//")[1], body, key.key_id, key.private_pem
            )
            caller = authenticate_region(deps, signed_request("POST", PREFIX + path, headers, body))
            if path == "/apply":
                done = apply_entries(deps, caller.name, data["stream"], data["entries"])
                return {"appliedSeq": done}
            if path == "/pull":
                entries = entries_for(deps, caller.name, data["stream"], int(data["after"]))
                return {"entries": _json(entries)}
            if path == "/unlinked":
                mark_unlinked(deps)
                return {"region": deps.region, "state": "UNLINKED"}
            if path == "/ping":
                return {"region": deps.region}
        except StrongroomError as error:
            raise PeerRefused(400, type(error).__name__, error.message) from None
        raise PeerRefused(404, "NotFound", path)


@dataclass
class Realm:
    """A home region and the member regions that joined it."""

    home: Deps
    clock: ManualClock
    admin: AdminIdentity
    peers: FakePeers
    kind: str
    tmp: pytest.TempPathFactory
    stack: ExitStack
    members: dict[str, Deps] = field(default_factory=dict)

    def new_region(self, region: str) -> Deps:
        """A region's fresh storage, unsealed, not in any realm yet (reachable by URL)."""
        engine = self.stack.enter_context(
            contextmanager(storage_support.backend_engine)(self.kind, self.tmp)
        )
        data_dir = self.tmp.mktemp("member")
        master = InternalMasterKey.create(data_dir, key_id=str(uuid.uuid4()))
        db = Database(engine)
        barrier = Barrier()
        barrier.unseal(master, db)
        deps = Deps(
            db=db,
            barrier=barrier,
            authorizer=PolicyAuthorizer(db, region),
            providers={},
            region=region,
            public_url=url_of(region),
            clock=self.clock,
            data_dir=data_dir,
            realm=RealmConfig(region=region, role=MEMBER, home=HOME),
            peers=self.peers,
        )
        adopt_internal_master_key(deps, master.key_id)
        self.peers.regions[url_of(region)] = deps
        return deps

    def join(self, region: str) -> Deps:
        """A new member region that joined with a fresh token."""
        deps = self.new_region(region)
        token = invite_region(self.home, region, url_of(region))
        join_realm(deps, HOME_URL, token, url_of(region))
        self.members[region] = deps
        return deps


def snapshot(deps: Deps) -> dict[str, list[dict[str, Any]]]:
    """Every replicated row of ``deps``, by table, in a stable order."""
    with deps.db.transaction(read_only=True) as tx:
        tables = tx.realm.snapshot()
    return {
        name: sorted(
            rows,
            key=lambda r: orjson.dumps(r, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS),
        )
        for name, rows in tables.items()
    }


@contextmanager
def realm_of(kind: str, tmp: pytest.TempPathFactory) -> Iterator[Realm]:
    """A home region (``initialize`` + ``open_deps`` + registered at HOME_URL) on ``kind``."""
    with ExitStack() as stack:
        engine = stack.enter_context(contextmanager(storage_support.backend_engine)(kind, tmp))
        url = engine.url.render_as_string(hide_password=False)
        data_dir: Path = tmp.mktemp("home") / "data"
        admin = initialize(data_dir, HOME, url)
        clock = ManualClock()
        home = open_deps(Settings(data_dir=data_dir, database_url=url), clock=clock)
        stack.callback(close_deps, home)
        assert home.realm.is_home and home.db.capture_identity
        peers = FakePeers()
        home.peers = peers
        peers.regions[HOME_URL] = home
        ensure_home_registered(home, HOME_URL)
        yield Realm(home, clock, admin, peers, kind, tmp, stack)
