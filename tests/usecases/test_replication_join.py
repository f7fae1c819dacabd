"""Use cases of joining a realm and of the calls between its regions, on SQLite and
PostgreSQL: join tokens (used, expired, for another region, malformed) are refused; a region
that joins starts from the home region's snapshot and converges with every later change; a
call to the realm endpoints is accepted only from a linked region's current key, signed, with
a clock close to ours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from unittest.mock import patch

import orjson
import pytest

from strongroom.api.oci.signature import signed_request
from strongroom.crypto.request_signing import new_api_key_pair, sign_request
from strongroom.domain.errors import Conflict, NotAuthenticated
from strongroom.services.identity import api_keys, groups, memberships, users
from strongroom.services.identity.authn import SignedRequest
from strongroom.services.ports import Deps
from strongroom.services.realm_port import PeerRefused, SigningKey
from strongroom.services.replication.applier import applied_seq
from strongroom.services.replication.credentials import (
    RegionRefused,
    authenticate_region,
    signing_key,
)
from strongroom.services.replication.invites import JoinRefused, accept_join, invite_region
from strongroom.services.replication.membership import join_realm
from strongroom.services.replication.pulling import pull_until
from strongroom.services.replication.regions import unlink_region
from strongroom.services.replication.shipping import ship_once
from strongroom.services.replication.streams import IDENTITY
from tests.usecases import support
from tests.usecases.identity_support import api_key_pem, unique
from tests.usecases.realm_support import HOME, HOME_URL, PREFIX, Realm, realm_of, snapshot, url_of


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def realm(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Realm]:
    with realm_of(request.param, tmp_path_factory) as made:
        yield made


def last_seq(deps: Deps) -> int:
    with deps.db.transaction(read_only=True) as tx:
        return tx.realm.last_seq(IDENTITY)


def test_join_refuses_bad_tokens(realm: Realm) -> None:
    home = realm.home
    key = new_api_key_pair()[1]
    token = invite_region(home, "eu-bad-1", url_of("eu-bad-1"))
    invite_id = token.split(".")[1]
    malformed = [
        "",
        "srjoin1",
        token + "x",
        token.replace("srjoin1", "srjoin2"),
        f"srjoin1.{invite_id}.{'A' * 43}",  # the right invite, another secret
        f"srjoin1.{'0' * 32}.{token.split('.')[2]}",  # no such invite
    ]
    for bad in malformed:
        with pytest.raises(JoinRefused, match="not valid"):
            accept_join(home, bad, "eu-bad-1", url_of("eu-bad-1"), key)
    with pytest.raises(JoinRefused, match="issued for region eu-bad-1"):
        accept_join(home, token, "eu-other-1", url_of("eu-other-1"), key)

    expiring = invite_region(home, "eu-late-1", url_of("eu-late-1"), timedelta(minutes=5))
    realm.clock.advance(timedelta(minutes=6))
    with pytest.raises(JoinRefused, match="expired"):
        accept_join(home, expiring, "eu-late-1", url_of("eu-late-1"), key)

    # The right token, once; then used.
    accept_join(home, token, "eu-bad-1", url_of("eu-bad-1"), key)
    with pytest.raises(JoinRefused, match="already used"):
        accept_join(home, token, "eu-bad-1", url_of("eu-bad-1"), key)
    assert isinstance(JoinRefused("x"), NotAuthenticated)
    unlink_region(home, "eu-bad-1")  # (unreachable: it learns when it next calls)


def test_join_over_the_port_refused_leaves_the_region_outside(realm: Realm) -> None:
    deps = realm.new_region("eu-refused-1")
    token = invite_region(realm.home, "eu-refused-1", url_of("eu-refused-1"))
    realm.clock.advance(timedelta(hours=2))
    with pytest.raises(PeerRefused, match="expired"):
        join_realm(deps, HOME_URL, token, url_of("eu-refused-1"))
    with realm.home.db.transaction(read_only=True) as tx:
        assert tx.realm.region("eu-refused-1") is None
    with pytest.raises(Conflict):  # members do not invite
        invite_region(deps, "eu-other-1", url_of("eu-other-1"))


def test_a_joined_region_starts_from_the_snapshot_and_converges(realm: Realm) -> None:
    home = realm.home
    call = support.admin_call(home, realm.admin)
    before = users.create_user(home, call, users.CreateUserRequest(unique("user"), "before"))
    member = realm.join("eu-join-1")
    assert snapshot(member) == snapshot(home)
    assert applied_seq(member, HOME) <= last_seq(home)
    with member.db.transaction(read_only=True) as tx:
        assert tx.identity.get_user(before.id) is not None
        assert tx.realm.region("eu-join-1") is not None

    # Later changes: shipped by the home region, or pulled by the member.
    group = groups.create_group(home, call, groups.CreateGroupRequest(unique("group")))
    memberships.add_user_to_group(
        home, call, memberships.AddUserToGroupRequest(before.id, group.id)
    )
    users.update_user(home, call, users.UpdateUserRequest(before.id, "after"))
    assert pull_until(member, last_seq(home)) == last_seq(home)
    assert snapshot(member) == snapshot(home)
    second = realm.join("eu-join-2")
    api_user = users.create_user(home, call, users.CreateUserRequest(unique("user")))
    api_keys.upload_api_key(home, call, api_keys.UploadApiKeyRequest(api_user.id, api_key_pem()))
    for name in ("eu-join-1", "eu-join-2"):
        while ship_once(home, name).more:
            pass
    assert snapshot(member) == snapshot(home) == snapshot(second)
    with member.db.transaction(read_only=True) as tx:
        # Every region knows every other region's key (calls between members verify).
        assert {r.name for r in tx.realm.regions()} >= {HOME, "eu-join-1", "eu-join-2"}


def _signed(
    key: SigningKey, body: dict[str, str], date_offset: timedelta = timedelta(0)
) -> SignedRequest:
    raw = orjson.dumps(body)
    target = PREFIX + "/ping"
    headers = sign_request("POST", target, "home.realm.test", raw, key.key_id, key.private_pem)
    if date_offset:
        from email.utils import format_datetime, parsedate_to_datetime

        moved = parsedate_to_datetime(headers["date"]) + date_offset
        # Re-sign with the moved date: the signature is valid, the clock is off.
        headers = _sign_at(key, target, raw, format_datetime(moved, usegmt=True))
    return signed_request("POST", target, headers, raw)


def _sign_at(key: SigningKey, target: str, raw: bytes, date: str) -> dict[str, str]:
    with patch("strongroom.crypto.request_signing.formatdate", lambda usegmt=True: date):
        return sign_request("POST", target, "home.realm.test", raw, key.key_id, key.private_pem)


def test_authenticate_region_accepts_only_linked_regions_current_keys(realm: Realm) -> None:
    home = realm.home
    member = realm.join("eu-auth-1")
    key = signing_key(member)
    body = {"region": "eu-auth-1"}
    assert authenticate_region(home, _signed(key, body)).name == "eu-auth-1"

    def refused(request: SignedRequest, reason: str) -> None:
        with pytest.raises(RegionRefused) as caught:
            authenticate_region(home, request)
        assert caught.value.reason == reason

    fp = key.key_id.rsplit("/", 1)[1]
    other_pem = new_api_key_pair()[0].encode()
    refused(
        _signed(SigningKey("ocid1.tenancy/whatever", key.private_pem), body), "malformed-key-id"
    )
    refused(
        _signed(SigningKey(f"realm/ap-nowhere-1/{fp}", key.private_pem), body), "unknown-region"
    )
    refused(_signed(SigningKey(f"realm/{HOME}/{fp}", key.private_pem), body), "unknown-region")
    wrong_fp = ":".join(["00"] * 16)
    refused(
        _signed(SigningKey(f"realm/eu-auth-1/{wrong_fp}", key.private_pem), body), "unknown-key"
    )
    refused(_signed(SigningKey(key.key_id, other_pem), body), "bad-signature")
    refused(_signed(key, body, timedelta(minutes=6)), "clock-skew")
    refused(_signed(key, body, -timedelta(minutes=6)), "clock-skew")
    assert authenticate_region(home, _signed(key, body, timedelta(minutes=4))).name == "eu-auth-1"

    unlink_region(home, "eu-auth-1")
    refused(_signed(key, body), "unlinked-region")
    with member.db.transaction(read_only=True) as tx:  # it was told
        own = tx.realm.region("eu-auth-1")
    assert own is not None and own.state == "UNLINKED"
