"""Use cases of the identity outbox on SQLite and PostgreSQL: every identity write of the home
region becomes one outbox entry, in commit order; shipped, it makes the member region's rows
the home region's; an entry is applied once; a batch that does not apply changes nothing; the
outbox is pruned only of what every region acknowledged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from strongroom.domain.errors import Conflict, InvalidParameter
from strongroom.services.context import Call
from strongroom.services.identity import (
    api_keys,
    compartments,
    dynamic_groups,
    groups,
    memberships,
    policies,
    users,
)
from strongroom.services.ports import Deps
from strongroom.services.replication.applier import applied_seq, apply_entries
from strongroom.services.replication.shipping import PRUNE_AFTER, prune_outbox, ship_once
from strongroom.services.replication.streams import IDENTITY
from strongroom.storage.realm_repository import OutboxEntry
from tests.usecases import support
from tests.usecases.identity_support import api_key_pem, unique
from tests.usecases.realm_support import HOME, Realm, realm_of, snapshot

MEMBER = "eu-test-1"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def realm(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Realm]:
    with realm_of(request.param, tmp_path_factory) as made:
        made.join(MEMBER)
        yield made


@pytest.fixture
def home(realm: Realm) -> Deps:
    return realm.home


@pytest.fixture
def member(realm: Realm) -> Deps:
    return realm.members[MEMBER]


@pytest.fixture
def call(realm: Realm) -> Call:
    return support.admin_call(realm.home, realm.admin)


def last_seq(deps: Deps) -> int:
    with deps.db.transaction(read_only=True) as tx:
        return tx.realm.last_seq(IDENTITY)


def entries_after(deps: Deps, after: int) -> list[OutboxEntry]:
    with deps.db.transaction(read_only=True) as tx:
        return tx.realm.outbox_after(IDENTITY, MEMBER, after, 1000)


def wire(entries: list[OutboxEntry]) -> list[dict[str, Any]]:
    return [{"seq": e.seq, "payload": e.payload} for e in entries]


def ship_all(home: Deps) -> None:
    while ship_once(home, MEMBER).more:
        pass


def test_every_identity_write_is_one_entry_in_commit_order_and_ships(
    home: Deps, member: Deps, call: Call
) -> None:
    tenancy = call.principal.tenancy_id
    made: dict[str, Any] = {}
    rule = f"ALL {{resource.compartment.id = '{tenancy}'}}"

    def create_user() -> None:
        made["user"] = users.create_user(home, call, users.CreateUserRequest(unique("user")))

    def create_group() -> None:
        made["group"] = groups.create_group(home, call, groups.CreateGroupRequest(unique("g")))

    def add_member() -> None:
        request = memberships.AddUserToGroupRequest(made["user"].id, made["group"].id)
        made["membership"] = memberships.add_user_to_group(home, call, request)

    def upload_key() -> None:
        request = api_keys.UploadApiKeyRequest(made["user"].id, api_key_pem())
        made["key"] = api_keys.upload_api_key(home, call, request)

    def create_compartment() -> None:
        request = compartments.CreateCompartmentRequest(tenancy, unique("c"))
        made["compartment"] = compartments.create_compartment(home, call, request)

    def create_policy() -> None:
        request = policies.CreatePolicyRequest(
            tenancy, unique("p"), [f"Allow group {made['group'].name} to read vaults in tenancy"]
        )
        made["policy"] = policies.create_policy(home, call, request)

    def create_dynamic_group() -> None:
        request = dynamic_groups.CreateDynamicGroupRequest(unique("dg"), rule)
        made["dg"] = dynamic_groups.create_dynamic_group(home, call, request)

    writes: list[tuple[str, Callable[[], object], str]] = [
        ("create user", create_user, "users"),
        (
            "update user",
            lambda: users.update_user(
                home, call, users.UpdateUserRequest(made["user"].id, "changed")
            ),
            "users",
        ),
        ("create group", create_group, "groups"),
        (
            "update group",
            lambda: groups.update_group(
                home, call, groups.UpdateGroupRequest(made["group"].id, "changed")
            ),
            "groups",
        ),
        ("add membership", add_member, "group_memberships"),
        ("upload api key", upload_key, "api_keys"),
        ("create compartment", create_compartment, "compartments"),
        (
            "update compartment",
            lambda: compartments.update_compartment(
                home,
                call,
                compartments.UpdateCompartmentRequest(
                    made["compartment"].id, description="changed"
                ),
            ),
            "compartments",
        ),
        ("create policy", create_policy, "policies"),
        (
            "update policy",
            lambda: policies.update_policy(
                home, call, policies.UpdatePolicyRequest(made["policy"].id, "changed")
            ),
            "policies",
        ),
        ("create dynamic group", create_dynamic_group, "dynamic_groups"),
        (
            "update dynamic group",
            lambda: dynamic_groups.update_dynamic_group(
                home,
                call,
                dynamic_groups.UpdateDynamicGroupRequest(made["dg"].id, description="changed"),
            ),
            "dynamic_groups",
        ),
        (
            "delete dynamic group",
            lambda: dynamic_groups.delete_dynamic_group(
                home, call, dynamic_groups.DeleteDynamicGroupRequest(made["dg"].id)
            ),
            "dynamic_groups",
        ),
        (
            "delete policy",
            lambda: policies.delete_policy(
                home, call, policies.DeletePolicyRequest(made["policy"].id)
            ),
            "policies",
        ),
        (
            "delete compartment",
            lambda: compartments.delete_compartment(
                home, call, compartments.DeleteCompartmentRequest(made["compartment"].id)
            ),
            "compartments",
        ),
        (
            "delete api key",
            lambda: api_keys.delete_api_key(
                home,
                call,
                api_keys.DeleteApiKeyRequest(made["user"].id, made["key"].key.fingerprint),
            ),
            "api_keys",
        ),
        (
            "remove membership",
            lambda: memberships.remove_user_from_group(
                home, call, memberships.RemoveUserFromGroupRequest(made["membership"].id)
            ),
            "group_memberships",
        ),
        (
            "delete group",
            lambda: groups.delete_group(home, call, groups.DeleteGroupRequest(made["group"].id)),
            "groups",
        ),
        (
            "delete user",
            lambda: users.delete_user(home, call, users.DeleteUserRequest(made["user"].id)),
            "users",
        ),
    ]
    ship_all(home)
    start = last_seq(home)
    seqs = []
    for what, write, table in writes:
        before = last_seq(home)
        write()
        entries = entries_after(home, before)
        assert len(entries) == 1, f"{what}: {len(entries)} outbox entries"
        tables = {c["table"] for c in entries[0].payload["changes"]}
        assert table in tables, f"{what}: the entry names {tables}"
        seqs.append(entries[0].seq)
        if what == "create user":  # mid-way, the member catches up to this point
            ship_all(home)
            assert snapshot(member) == snapshot(home)
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert [e.seq for e in entries_after(home, start)] == seqs
    deleted = entries_after(home, seqs[-1] - 1)[0].payload["changes"]
    assert any(c["table"] == "users" and c["key"] == made["user"].id for c in deleted)

    ship_all(home)
    assert applied_seq(member, HOME) == last_seq(home)
    assert snapshot(member) == snapshot(home)
    with home.db.transaction(read_only=True) as tx:
        at_home = tx.identity.get_user(made["user"].id)
    with member.db.transaction(read_only=True) as tx:
        assert tx.identity.get_user(made["user"].id) == at_home


def test_an_entry_applied_again_changes_nothing(home: Deps, member: Deps, call: Call) -> None:
    ship_all(home)
    before = last_seq(home)
    user = users.create_user(home, call, users.CreateUserRequest(unique("user"), "first"))
    created = entries_after(home, before)
    users.update_user(home, call, users.UpdateUserRequest(user.id, "second"))
    ship_all(home)
    done = applied_seq(member, HOME)
    image = snapshot(member)

    assert apply_entries(member, HOME, IDENTITY, wire(created)) == done
    assert apply_entries(member, HOME, IDENTITY, wire(entries_after(home, before))) == done
    assert snapshot(member) == image == snapshot(home)
    with member.db.transaction(read_only=True) as tx:
        stored = tx.identity.get_user(user.id)
    assert stored is not None and stored.description == "second"


def test_batches_out_of_order_or_repeated_apply_each_entry_once(
    home: Deps, member: Deps, call: Call
) -> None:
    ship_all(home)
    before = last_seq(home)
    user = users.create_user(home, call, users.CreateUserRequest(unique("user"), "one"))
    users.update_user(home, call, users.UpdateUserRequest(user.id, "two"))
    users.update_user(home, call, users.UpdateUserRequest(user.id, "three"))
    first, second, third = wire(entries_after(home, before))

    # A batch in the wrong order, with an entry twice: applied in sequence order, once.
    assert apply_entries(member, HOME, IDENTITY, [second, first, second]) == second["seq"]
    with member.db.transaction(read_only=True) as tx:
        stored = tx.identity.get_user(user.id)
    assert stored is not None and stored.description == "two"
    # A batch overlapping what was applied: only the new entry counts.
    assert apply_entries(member, HOME, IDENTITY, [third, first, second]) == third["seq"]
    # The home region's cursor still thinks the member is behind: shipping again is harmless.
    ship_all(home)
    assert snapshot(member) == snapshot(home)


def test_a_batch_that_does_not_apply_is_refused_and_applies_nothing(
    home: Deps, member: Deps, call: Call
) -> None:
    ship_all(home)
    done = applied_seq(member, HOME)
    image = snapshot(member)
    before = last_seq(home)
    user = users.create_user(home, call, users.CreateUserRequest(unique("user")))
    (good,) = wire(entries_after(home, before))
    row = dict(good["payload"]["changes"][0]["row"])
    bad_batches: list[list[dict[str, Any]]] = [
        [{"seq": done + 2, "payload": {"changes": [{"table": "vaults", "key": "x", "row": {}}]}}],
        [
            {
                "seq": done + 2,
                "payload": {
                    "changes": [{"table": "users", "key": user.id, "row": {**row, "surprise": 1}}]
                },
            }
        ],
        [
            {
                "seq": done + 2,
                "payload": {
                    "changes": [{"table": "users", "key": user.id, "row": {"id": user.id}}]
                },
            }
        ],
        [
            {
                "seq": done + 2,
                "payload": {"changes": [{"table": "users", "key": "other", "row": row}]},
            }
        ],
        [
            {
                "seq": done + 2,
                "payload": {
                    "changes": [
                        {"table": "users", "key": user.id, "row": {**row, "time_created": "never"}}
                    ]
                },
            }
        ],
        [{"seq": done + 2, "payload": {"changes": "nothing"}}],
        [{"seq": "later", "payload": {"changes": []}}],
        [{"payload": {"changes": []}}],
    ]
    for batch in bad_batches:
        with pytest.raises(InvalidParameter, match="do not apply"):
            apply_entries(member, HOME, IDENTITY, [good, *batch])
        assert applied_seq(member, HOME) == done
        assert snapshot(member) == image, batch

    # Identity comes only from the home region, and the home region receives none.
    with pytest.raises(Conflict):
        apply_entries(member, "ap-other-1", IDENTITY, [good])
    with pytest.raises(Conflict):
        apply_entries(home, HOME, IDENTITY, [good])

    ship_all(home)
    assert snapshot(member) == snapshot(home)


def test_prune_keeps_what_a_region_has_not_acknowledged(
    realm: Realm, home: Deps, call: Call
) -> None:
    ship_all(home)
    acked = last_seq(home)
    users.create_user(home, call, users.CreateUserRequest(unique("user")))
    waiting = last_seq(home)
    assert waiting > acked

    assert prune_outbox(home) == 0  # everything is younger than PRUNE_AFTER
    realm.clock.advance(PRUNE_AFTER + timedelta(minutes=1))
    assert prune_outbox(home) > 0
    assert [e.seq for e in entries_after(home, 0)] == [waiting]  # not acknowledged: kept

    ship_all(home)
    realm.clock.advance(PRUNE_AFTER + timedelta(minutes=1))
    assert prune_outbox(home) == 0
    # The newest entry stays: the sequence (and last_seq) never goes back, on SQLite too.
    assert [e.seq for e in entries_after(home, 0)] == [waiting]
    assert last_seq(home) == waiting
    users.create_user(home, call, users.CreateUserRequest(unique("user")))
    assert last_seq(home) > waiting
    ship_all(home)
    assert snapshot(realm.members[MEMBER]) == snapshot(home)
