"""Faults in a realm of real ``strongroom serve`` processes: the home region (PostgreSQL)
killed with SIGKILL while users are made, a member (SQLite) killed or stopped while identity
changes, identity writes to a member while the home region is down, join tokens used twice
or expired, realm calls that are unsigned or signed by an unlinked region.

The tests share one realm and run in file order; unlinking the member comes last."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import oci
import pytest
from oci.identity import IdentityClient
from oci.identity import models as im

from tests.integration import cli_support
from tests.integration.realm_support import (
    Realm,
    Region,
    converged,
    group_names,
    invite,
    join_args,
    new_user,
    policy_names,
    postgresql_url,
    realm,
    unique,
    user_names,
    wait_for,
)

pytestmark = pytest.mark.postgres
TOKYO = "ap-tokyo-1"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Realm]:
    with (
        postgresql_url() as database_url,
        realm(tmp_path_factory.mktemp("realm"), database_url, (TOKYO,)) as made,
    ):
        yield made


class Writer:
    """A thread making users named PREFIX-n in ``client``'s region until stopped; the names
    whose creation was acknowledged, and how many calls failed."""

    def __init__(self, client: IdentityClient, tenancy: str) -> None:
        self.client = client
        self.tenancy = tenancy
        self.prefix = unique("w")
        self.acked: set[str] = set()
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            name = f"{self.prefix}-{n}"
            try:
                new_user(self.client, self.tenancy, name)
                self.acked.add(name)
            except Exception:  # the home region is down for a while
                self.failed += 1
                time.sleep(0.05)

    def __enter__(self) -> Writer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def wait_acked(self, count: int, timeout: float = 20.0) -> None:
        target = len(self.acked) + count
        wait_for(lambda: len(self.acked) >= target, timeout, f"{count} more users")

    def mine(self, client: IdentityClient) -> set[str]:
        return {n for n in user_names(client, self.tenancy) if n.startswith(self.prefix + "-")}


def test_kill_9_of_the_home_mid_stream_loses_nothing(pair: Realm) -> None:
    tokyo = pair.members[TOKYO]
    with Writer(pair.admin(pair.home), pair.tenancy) as writer:
        writer.wait_acked(8)
        pair.home.kill()
        time.sleep(0.3)
        pair.home.start()
        writer.wait_acked(5)
    assert writer.failed > 0  # the writer saw the home region go away
    converged(pair, writer.acked)
    in_home = writer.mine(pair.admin(pair.home))
    wait_for(lambda: writer.mine(pair.admin(tokyo)) == in_home, 10, "tokyo == home")


def test_kill_9_of_a_member_while_changes_happen_then_it_catches_up(pair: Realm) -> None:
    tokyo = pair.members[TOKYO]
    with Writer(pair.admin(pair.home), pair.tenancy) as writer:
        writer.wait_acked(5)
        tokyo.kill()
        writer.wait_acked(5)
        tokyo.start()
        writer.wait_acked(5)
    converged(pair, writer.acked)
    assert writer.mine(pair.admin(tokyo)) == writer.mine(pair.admin(pair.home))


def test_a_member_down_while_users_groups_and_policies_change_catches_up(pair: Realm) -> None:
    tokyo = pair.members[TOKYO]
    home = pair.admin(pair.home)
    doomed = new_user(home, pair.tenancy)
    old_policy = _policy(home, pair.tenancy, "Allow group Administrators to read users in tenancy")
    converged(pair, {doomed.name})
    tokyo.stop()
    users = {new_user(home, pair.tenancy).name for _ in range(3)}
    group: im.Group = home.create_group(
        im.CreateGroupDetails(compartment_id=pair.tenancy, name=unique("g"), description="g")
    ).data
    home.update_group(group.id, im.UpdateGroupDetails(description="while tokyo was down"))
    policy = _policy(home, pair.tenancy, f"Allow group {group.name} to read users in tenancy")
    home.delete_policy(old_policy.id)
    home.delete_user(doomed.id)
    tokyo.start()
    converged(pair, users)
    member = pair.admin(tokyo)
    wait_for(lambda: policy.name in policy_names(member, pair.tenancy), 10, "policy")
    assert old_policy.name not in policy_names(member, pair.tenancy)
    assert group.name in group_names(member, pair.tenancy)
    assert member.get_group(group.id).data.description == "while tokyo was down"
    assert member.get_user(doomed.id).data.lifecycle_state == "DELETED"


def test_identity_writes_to_a_member_while_the_home_is_down_are_refused_with_503(
    pair: Realm,
) -> None:
    tokyo = pair.members[TOKYO]
    member = pair.admin(tokyo)
    known = new_user(pair.admin(pair.home), pair.tenancy)
    converged(pair, {known.name})
    pair.home.stop()
    try:
        name = unique("never")
        error = _service_error(member.create_user, _user(pair.tenancy, name))
        assert (error.status, error.code) == (503, "ServiceUnavailable"), error
        assert "home region us-ashburn-1 cannot be reached" in error.message, error.message
        assert "nothing was changed" in error.message
        group = im.CreateGroupDetails(compartment_id=pair.tenancy, name=name, description="g")
        assert _service_error(member.create_group, group).status == 503
        assert _service_error(member.delete_user, known.id).status == 503
        assert member.get_user(known.id).data.lifecycle_state == "ACTIVE"  # reads still work
        assert name not in user_names(member, pair.tenancy)
    finally:
        pair.home.start()
    after = new_user(member, pair.tenancy)  # forwarded again
    converged(pair, {after.name})
    for region in pair.regions:
        client = pair.admin(region)
        assert name not in user_names(client, pair.tenancy), region.name
        assert name not in group_names(client, pair.tenancy), region.name
        assert client.get_user(known.id).data.lifecycle_state == "ACTIVE"


def test_a_join_token_works_once_and_not_after_it_expires(pair: Realm, tmp_path: Path) -> None:
    osaka = Region("ap-osaka-1", tmp_path / "osaka" / "data", 1)
    osaka.data_dir.parent.mkdir()
    token = invite(pair.home, osaka.name, "http://127.0.0.1:1")
    first = cli_support.run(*join_args(pair.home, osaka, token))
    assert first.returncode == 0, first.stdout + first.stderr
    again = Region("ap-osaka-1", tmp_path / "again" / "data", 1)
    second = cli_support.run(*join_args(pair.home, again, token))
    assert second.returncode != 0
    output = " ".join((second.stdout + second.stderr).split())
    assert "joining the realm failed" in output and "already used" in output, output
    assert not again.data_dir.exists()
    unlinked = pair.home.cli("region", "unlink", "--region", osaka.name)  # it never served
    assert unlinked.returncode == 0, unlinked.stdout + unlinked.stderr

    late = Region("ap-seoul-1", tmp_path / "seoul" / "data", 1)
    token = invite(pair.home, late.name, "http://127.0.0.1:1", expires_in=1)
    time.sleep(2)
    expired = cli_support.run(*join_args(pair.home, late, token))
    assert expired.returncode != 0
    output = " ".join((expired.stdout + expired.stderr).split())
    assert "joining the realm failed" in output and "expired" in output, output
    assert not late.data_dir.exists()
    assert late.name not in pair.home.regions(probe=False)


def test_an_unsigned_realm_call_is_refused_and_audited(pair: Realm) -> None:
    tokyo = pair.members[TOKYO]
    body = {"source": "us-ashburn-1", "stream": "identity", "entries": []}
    answer = httpx.post(f"{tokyo.url}/_strongroom/realm/v1/apply", json=body, timeout=10)
    assert answer.status_code == 401, answer.text
    assert answer.json()["code"] == "NotAuthenticated"
    forged = {"authorization": 'Signature keyId="realm/eu-paris-1/' + ":".join(["ab"] * 16)}
    answer = httpx.post(
        f"{pair.home.url}/_strongroom/realm/v1/forward", json={}, headers=forged, timeout=10
    )
    assert answer.status_code == 401, answer.text
    wait_for(lambda: _refused(tokyo, "RealmApply"), 10, "RealmApply in tokyo's audit")
    wait_for(lambda: _refused(pair.home, "RealmForward"), 10, "RealmForward in home's audit")


def test_an_unlinked_member_keeps_reads_and_its_writes_are_refused(pair: Realm) -> None:
    tokyo = pair.members[TOKYO]
    member = pair.admin(tokyo)
    known = new_user(pair.admin(pair.home), pair.tenancy)
    converged(pair, {known.name})
    # Unlinked while down, it is not told: its next forwarded write is signed by an unlinked
    # region, refused by the home region (and audited there).
    tokyo.stop()
    done = pair.home.cli("region", "unlink", "--region", TOKYO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert pair.home.regions(probe=False)[TOKYO]["state"] == "UNLINKED"
    tokyo.start()
    name = unique("after-unlink")
    error = _service_error(member.create_user, _user(pair.tenancy, name))
    assert (error.status, error.code) == (503, "ServiceUnavailable"), error
    assert "refused the forwarded request" in error.message, error.message
    assert "ap-tokyo-1 is unlinked from this realm" in error.message, error.message
    wait_for(lambda: _refused(pair.home, "RealmForward", "unlinked-region"), 10, "audit")
    assert member.get_user(known.id).data.name == known.name  # reads still work
    assert name not in user_names(pair.admin(pair.home), pair.tenancy)
    # Later writes keep failing clearly; what the home region makes no longer reaches it.
    error = _service_error(member.create_user, _user(pair.tenancy, unique("again")))
    assert error.status in (409, 503) and "unlinked" in error.message, error
    later = new_user(pair.admin(pair.home), pair.tenancy)
    time.sleep(1.5)  # the shipper would have shipped it by now (it idles 1 s)
    assert later.name not in user_names(member, pair.tenancy)


def _user(tenancy: str, name: str) -> im.CreateUserDetails:
    return im.CreateUserDetails(compartment_id=tenancy, name=name, description="realm test")


def _policy(client: IdentityClient, tenancy: str, statement: str) -> im.Policy:
    details = im.CreatePolicyDetails(
        compartment_id=tenancy, name=unique("p"), description="p", statements=[statement]
    )
    policy: im.Policy = client.create_policy(details).data
    return policy


def _service_error(call: object, *args: object) -> oci.exceptions.ServiceError:
    assert callable(call)
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        call(*args)
    return caught.value


def _refused(region: Region, operation: str, reason: str | None = None) -> bool:
    return any(
        event["operation"] == operation
        and event["decision"] == "unauthenticated"
        and (reason is None or event.get("reason") == reason)
        for event in region.audit()
    )
