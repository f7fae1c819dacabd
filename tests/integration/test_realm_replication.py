"""Regions of a realm, as real ``strongroom serve`` processes reached by the official SDK: a
home region (SQLite) and two members, ap-tokyo-1 (SQLite) and eu-frankfurt-1 (PostgreSQL).
Identity made in the home region reaches every member; identity written through a member is
read there as soon as the call returns; API keys uploaded in the home region sign requests to
the members; ``region list`` shows no lag once converged; credentials rotate on either side
and replication and forwarding go on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import oci
import pytest
from oci.identity import IdentityClient
from oci.identity import models as im

from tests.integration import iam_support
from tests.integration.realm_support import (
    Realm,
    converged,
    group_names,
    lists,
    new_user,
    policy_names,
    postgresql_url,
    realm,
    unique,
    user_names,
    wait_for,
)

pytestmark = pytest.mark.postgres
TOKYO, FRANKFURT = "ap-tokyo-1", "eu-frankfurt-1"


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Realm]:
    with postgresql_url() as database_url, realm(tmp_path_factory.mktemp("realm")) as made:
        made.join(TOKYO)
        made.join(FRANKFURT, database_url)
        yield made


def test_users_groups_and_policies_made_in_home_reach_every_member(three: Realm) -> None:
    home = three.admin(three.home)
    user = new_user(home, three.tenancy)
    group: im.Group = home.create_group(
        im.CreateGroupDetails(compartment_id=three.tenancy, name=unique("g"), description="g")
    ).data
    home.add_user_to_group(im.AddUserToGroupDetails(user_id=user.id, group_id=group.id))
    compartment: im.Compartment = home.create_compartment(
        im.CreateCompartmentDetails(compartment_id=three.tenancy, name=unique("c"), description="c")
    ).data
    statement = f"Allow group {group.name} to read all-resources in tenancy"
    policy: im.Policy = home.create_policy(
        im.CreatePolicyDetails(
            compartment_id=three.tenancy,
            name=unique("p"),
            description="p",
            statements=[statement],
        )
    ).data
    for name in (TOKYO, FRANKFURT):
        member = three.admin(three.members[name])
        wait_for(_has_policy(member, three.tenancy, policy.name), 10, name)
        assert user.name in user_names(member, three.tenancy)
        assert group.name in group_names(member, three.tenancy)
        assert member.get_user(user.id).data.name == user.name
        assert member.get_policy(policy.id).data.statements == [statement]
        assert member.get_compartment(compartment.id).data.name == compartment.name
        memberships = member.list_user_group_memberships(
            three.tenancy, user_id=user.id, group_id=group.id
        ).data
        assert len(memberships) == 1


def test_a_write_through_a_member_is_read_there_and_in_home_when_it_returns(
    three: Realm,
) -> None:
    for name in (TOKYO, FRANKFURT):
        member = three.admin(three.members[name])
        user = new_user(member, three.tenancy)
        assert member.get_user(user.id).data.name == user.name  # no waiting
        assert three.admin(three.home).get_user(user.id).data.name == user.name
        updated = member.update_user(user.id, im.UpdateUserDetails(description="changed")).data
        assert updated.description == "changed"
        assert member.get_user(user.id).data.description == "changed"
        other = three.members[FRANKFURT if name == TOKYO else TOKYO]
        wait_for(_described(three.admin(other), user.id, "changed"), 10)
        member.delete_user(user.id)
        assert member.get_user(user.id).data.lifecycle_state == "DELETED"
        assert three.admin(three.home).get_user(user.id).data.lifecycle_state == "DELETED"


def test_an_api_key_uploaded_in_home_signs_requests_to_every_member(
    three: Realm, tmp_path: Path
) -> None:
    home = three.admin(three.home)
    user = new_user(home, three.tenancy)
    group: im.Group = home.create_group(
        im.CreateGroupDetails(compartment_id=three.tenancy, name=unique("g"), description="g")
    ).data
    home.add_user_to_group(im.AddUserToGroupDetails(user_id=user.id, group_id=group.id))
    home.create_policy(
        im.CreatePolicyDetails(
            compartment_id=three.tenancy,
            name=unique("p"),
            description="p",
            statements=[f"Allow group {group.name} to read all-resources in tenancy"],
        )
    )
    key_file, public_pem = iam_support.write_private_key(tmp_path)
    key: im.ApiKey = home.upload_api_key(user.id, im.CreateApiKeyDetails(key=public_pem)).data
    config = dict(three.config, user=user.id, fingerprint=key.fingerprint, key_file=str(key_file))
    for name in (TOKYO, FRANKFURT):
        client = three.members[name].identity(config)
        wait_for(lists(client, three.tenancy, {user.name}), 10, f"{name} ListUsers")
        assert client.get_user(user.id).data.name == user.name
        assert client.get_user(three.config["user"]).data.id == three.config["user"]


def test_region_list_shows_every_region_reachable_and_no_lag_once_converged(
    three: Realm,
) -> None:
    made = {new_user(three.admin(three.home), three.tenancy).name for _ in range(3)}
    converged(three, made)

    def settled() -> dict[str, dict[str, object]] | None:
        listed = three.home.regions()
        members = [listed[name] for name in (TOKYO, FRANKFURT)]
        if all(m["identityLagEntries"] == 0 for m in members):
            return listed
        return None

    listed = wait_for(settled, 10, "lag 0")
    assert listed[three.home.name]["role"] == "home"
    assert listed[three.home.name]["thisRegion"] is True
    for name in (TOKYO, FRANKFURT):
        view = listed[name]
        assert view["role"] == "member" and view["state"] == "ACTIVE", view
        assert view["reachable"] is True and view["identityLagSeconds"] == 0, view
        assert view["lastError"] is None and view["url"] == three.members[name].url, view
    from_tokyo = three.members[TOKYO].regions()
    assert from_tokyo[TOKYO]["thisRegion"] is True
    assert from_tokyo[three.home.name]["reachable"] is True
    assert from_tokyo[FRANKFURT]["reachable"] is True
    quiet = three.members[FRANKFURT].regions(probe=False)
    assert all(view["reachable"] is None for view in quiet.values()), quiet


def test_credentials_rotate_in_home_and_members_and_replication_goes_on(three: Realm) -> None:
    for region in (three.home, three.members[TOKYO], three.members[FRANKFURT]):
        done = region.cli("region", "rotate-credentials")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "now signs with key" in done.stderr
        made = {new_user(three.admin(three.home), three.tenancy).name}
        for name in (TOKYO, FRANKFURT):  # forwarding, signed by the member's key
            made.add(new_user(three.admin(three.members[name]), three.tenancy).name)
        converged(three, made, timeout=10)
    listed = three.home.regions()
    assert all(view["reachable"] is not False for view in listed.values()), listed


def test_a_member_unlinked_while_up_is_told_and_refuses_identity_writes_with_409(
    three: Realm,
) -> None:  # last: it changes the realm
    frankfurt = three.members[FRANKFURT]
    member = three.admin(frankfurt)
    known = new_user(three.admin(three.home), three.tenancy)
    converged(three, {known.name})
    done = three.home.cli("region", "unlink", "--region", FRANKFURT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert frankfurt.regions(probe=False)[FRANKFURT]["state"] == "UNLINKED"
    details = im.CreateUserDetails(
        compartment_id=three.tenancy, name=unique("u"), description="refused"
    )
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        member.create_user(details)
    assert caught.value.status == 409, caught.value
    assert "unlinked from its realm" in caught.value.message, caught.value.message
    assert member.get_user(known.id).data.name == known.name
    assert details.name not in user_names(three.admin(three.home), three.tenancy)
    tokyo = three.admin(three.members[TOKYO])  # the others go on
    made = new_user(tokyo, three.tenancy)
    assert three.admin(three.home).get_user(made.id).data.name == made.name


def _has_policy(client: IdentityClient, tenancy: str, name: str) -> Callable[[], bool]:
    return lambda: name in policy_names(client, tenancy)


def _described(client: IdentityClient, user_id: str, description: str) -> Callable[[], bool]:
    return lambda: bool(client.get_user(user_id).data.description == description)
