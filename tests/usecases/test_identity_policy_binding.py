"""Policies bind names to OCIDs when they are written, as OCI does: an unknown group, dynamic
group or compartment is refused and nothing is stored or changed; the text is shown as written;
a renamed compartment keeps its grants; a group re-created under an old name does not inherit
them; policies stored before names were bound are bound at start-up, and names that resolve to
nothing grant nothing and are named in the log and by ``iam explain``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from strongroom.domain.errors import InvalidParameter, NotAuthorized
from strongroom.domain.identity import Compartment, PolicyRecord
from strongroom.domain.ids import new_ocid
from strongroom.services.context import Call
from strongroom.services.identity import (
    compartments,
    dynamic_groups,
    groups,
    memberships,
    policies,
    users,
)
from strongroom.services.identity.authorizer import PolicyAuthorizer
from strongroom.services.identity.explain import explain
from strongroom.services.identity.policy_binding import bind_stored_policies
from strongroom.services.ports import Deps
from tests.usecases.identity_support import call_of, grant, new_group, new_user, unique


def _compartment(deps: Deps, call: Call, parent: str, name: str | None = None) -> Compartment:
    request = compartments.CreateCompartmentRequest(parent, name or unique("comp"))
    return compartments.create_compartment(deps, call, request)


def _names(deps: Deps, call: Call, compartment_id: str) -> set[str]:
    request = policies.ListPoliciesRequest(compartment_id)
    return {p.name for p in policies.list_policies(deps, call, request).items}


def _list_children(deps: Deps, call: Call, compartment_id: str) -> list[Compartment]:
    request = compartments.ListCompartmentsRequest(compartment_id)
    return compartments.list_compartments(deps, call, request).items


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("Allow group {ghost} to read keys in tenancy", "the group '{ghost}'"),
        ("Allow group {real}, group {ghost} to read keys in tenancy", "the group '{ghost}'"),
        ("Allow dynamic-group {ghost} to use keys in tenancy", "the dynamic-group '{ghost}'"),
        ("Allow group {real} to read keys in compartment {ghost}", "the compartment '{ghost}'"),
        (
            "Allow group {real} to read keys in compartment {comp}:{ghost}",
            "the compartment '{comp}:{ghost}'",
        ),
    ],
    ids=["group", "second-group", "dynamic-group", "compartment", "nested-compartment"],
)
def test_an_unknown_name_is_refused_and_nothing_is_stored(
    deps: Deps, admin_call: Call, statement: str, named: str
) -> None:
    tenancy = admin_call.principal.tenancy_id
    real = new_group(deps, admin_call).name
    comp = _compartment(deps, admin_call, tenancy).name
    names = {"ghost": unique("ghost"), "real": real, "comp": comp}
    good = f"Allow group {real} to inspect keys in tenancy"
    bad = statement.format(**names)
    name = unique("policy")
    request = policies.CreatePolicyRequest(tenancy, name, [good, bad])
    with pytest.raises(InvalidParameter) as raised:
        policies.create_policy(deps, admin_call, request)
    message = raised.value.message
    assert message.startswith(f'Policy statement 2 "{bad}" names {named.format(**names)}')
    assert message.endswith("which does not exist")
    assert name not in _names(deps, admin_call, tenancy)


def test_compartment_paths_are_relative_to_the_policys_compartment(
    deps: Deps, admin_call: Call
) -> None:
    tenancy = admin_call.principal.tenancy_id
    parent = _compartment(deps, admin_call, tenancy)
    child = _compartment(deps, admin_call, parent.id)
    group = new_group(deps, admin_call).name
    # From the tenancy, the child is parent:child; from the parent, it is child.
    relative = f"Allow group {group} to inspect keys in compartment {child.name}"
    request = policies.CreatePolicyRequest(tenancy, unique("policy"), [relative])
    with pytest.raises(InvalidParameter, match=f"names the compartment '{child.name}'"):
        policies.create_policy(deps, admin_call, request)
    made = policies.create_policy(
        deps, admin_call, policies.CreatePolicyRequest(parent.id, unique("policy"), [relative])
    )
    assert made.statements == [relative]


def test_an_update_naming_an_unknown_group_changes_nothing(deps: Deps, admin_call: Call) -> None:
    group = new_group(deps, admin_call)
    good = f"Allow group {group.name} to read keys in tenancy"
    policy = grant(deps, admin_call, good)
    ghost = unique("ghost")
    bad = f"Allow group {ghost} to read keys in tenancy"
    change = policies.UpdatePolicyRequest(policy.id, "changed", [good, bad])
    with pytest.raises(InvalidParameter, match=f"statement 2 \"{bad}\" names the group '{ghost}'"):
        policies.update_policy(deps, admin_call, change)
    got = policies.get_policy(deps, admin_call, policies.GetPolicyRequest(policy.id))
    assert (got.description, got.statements, got.version) == ("", [good], policy.version)
    assert got.bindings == policy.bindings


def test_statements_are_shown_as_written(deps: Deps, admin_call: Call) -> None:
    tenancy = admin_call.principal.tenancy_id
    group = new_group(deps, admin_call)
    comp = _compartment(deps, admin_call, tenancy)
    written = f"allow GROUP {group.name.upper()} to inspect compartments in COMPARTMENT {comp.name}"
    policy = grant(deps, admin_call, written)
    got = policies.get_policy(deps, admin_call, policies.GetPolicyRequest(policy.id))
    listed = policies.list_policies(deps, admin_call, policies.ListPoliciesRequest(tenancy))
    assert got.statements == [written]
    assert [p.statements for p in listed.items if p.id == policy.id] == [[written]]
    assert got.bindings == [{"subjects": [group.id], "compartment": comp.id}]


def test_subjects_by_ocid_and_any_user_are_not_looked_up(deps: Deps, admin_call: Call) -> None:
    absent = new_ocid("group", deps.region, deps.random_bytes)
    policy = grant(
        deps,
        admin_call,
        f"Allow group id {absent} to read keys in tenancy",
        "Allow any-user to inspect vaults in tenancy where request.user.id = 'nobody'",
    )
    assert policy.bindings == [
        {"subjects": [None], "compartment": None},
        {"subjects": [None], "compartment": None},
    ]


def test_a_renamed_compartment_keeps_its_grants(deps: Deps, admin_call: Call) -> None:
    tenancy = admin_call.principal.tenancy_id
    comp = _compartment(deps, admin_call, tenancy)
    user = new_user(deps, admin_call)
    group = new_group(deps, admin_call, user)
    grant(
        deps,
        admin_call,
        f"Allow group {group.name} to inspect compartments in compartment {comp.name}",
    )
    call = call_of(deps, user)
    assert _list_children(deps, call, comp.id) == []
    rename = compartments.UpdateCompartmentRequest(comp.id, name=unique("renamed"))
    compartments.update_compartment(deps, admin_call, rename)
    assert _list_children(deps, call, comp.id) == []
    # A new compartment under the old name gets nothing from the old statement.
    again = _compartment(deps, admin_call, tenancy, comp.name)
    with pytest.raises(NotAuthorized):
        _list_children(deps, call, again.id)


def test_a_group_recreated_with_the_same_name_does_not_inherit_grants(
    deps: Deps, admin_call: Call
) -> None:
    tenancy = admin_call.principal.tenancy_id
    user = new_user(deps, admin_call)
    old = new_group(deps, admin_call, user)
    grant(deps, admin_call, f"Allow group {old.name} to inspect compartments in tenancy")
    assert _list_children(deps, call_of(deps, user), tenancy) is not None
    (membership,) = memberships.list_user_group_memberships(
        deps, admin_call, memberships.ListUserGroupMembershipsRequest(user_id=user.id)
    ).items
    memberships.remove_user_from_group(
        deps, admin_call, memberships.RemoveUserFromGroupRequest(membership.id)
    )
    groups.delete_group(deps, admin_call, groups.DeleteGroupRequest(old.id))
    new = groups.create_group(deps, admin_call, groups.CreateGroupRequest(old.name))
    memberships.add_user_to_group(
        deps, admin_call, memberships.AddUserToGroupRequest(user.id, new.id)
    )
    call = call_of(deps, user)
    assert new.id in call.principal.group_ids
    with pytest.raises(NotAuthorized):
        _list_children(deps, call, tenancy)
    # explain names the statement whose group is gone.
    found = explain(deps, user.id, "ListCompartments", tenancy)
    assert not found.decision.allowed
    assert any(
        f"group '{old.name}' (bound to {old.id}, which no longer exists)" in name
        for report in found.unresolved
        for name in report.names
    )


def test_a_dynamic_group_name_is_bound_too(deps: Deps, admin_call: Call) -> None:
    tenancy = admin_call.principal.tenancy_id
    rule = f"resource.compartment.id = '{tenancy}'"
    made = dynamic_groups.create_dynamic_group(
        deps, admin_call, dynamic_groups.CreateDynamicGroupRequest(unique("dg"), rule)
    )
    policy = grant(deps, admin_call, f"Allow dynamic-group {made.name} to use keys in tenancy")
    assert policy.bindings == [{"subjects": [made.id], "compartment": None}]


def _legacy(deps: Deps, tenancy: str, statements: list[str]) -> PolicyRecord:
    """A policy as stored before names were bound: its text only."""
    record = PolicyRecord(
        new_ocid("policy", deps.region, deps.random_bytes),
        tenancy,
        tenancy,
        unique("legacy"),
        "",
        statements,
        "ACTIVE",
        datetime.now(UTC),
    )
    with deps.db.transaction() as tx:
        tx.iam.add_policy(record)
    return record


def test_policies_stored_before_binding_are_bound_at_start_up(
    deps: Deps, admin_call: Call, caplog: pytest.LogCaptureFixture
) -> None:
    tenancy = admin_call.principal.tenancy_id
    user = new_user(deps, admin_call)
    group = new_group(deps, admin_call, user)
    ghost = unique("ghost")
    record = _legacy(
        deps,
        tenancy,
        [
            f"Allow group {group.name} to inspect compartments in tenancy",
            f"Allow group {ghost} to read users in tenancy",
            f"Allow group {group.name} to read users in compartment {ghost}",
        ],
    )
    deps.authorizer.invalidate()  # type: ignore[attr-defined]
    with caplog.at_level(logging.WARNING, logger="strongroom.iam"):
        assert bind_stored_policies(deps) >= 1
    (warning,) = [r.getMessage() for r in caplog.records if record.name in r.getMessage()]
    assert f"statement 2: group '{ghost}'" in warning
    assert f"statement 3: compartment '{ghost}'" in warning
    with deps.db.transaction(read_only=True) as tx:
        stored = tx.iam.get_policy(record.id)
    assert stored is not None and stored.version == record.version
    assert stored.bindings == [
        {"subjects": [group.id], "compartment": None},
        {"subjects": [None], "compartment": None},
        {"subjects": [group.id], "compartment": None},
    ]
    call = call_of(deps, user)
    assert _list_children(deps, call, tenancy) is not None  # what resolved still grants
    # A group and a compartment made later under the unresolved names get nothing from it.
    ghost_group = groups.create_group(deps, admin_call, groups.CreateGroupRequest(ghost))
    memberships.add_user_to_group(
        deps, admin_call, memberships.AddUserToGroupRequest(user.id, ghost_group.id)
    )
    _compartment(deps, admin_call, tenancy, ghost)
    with pytest.raises(NotAuthorized):
        users.get_user(deps, call_of(deps, user), users.GetUserRequest(user.id))
    # A fresh authorizer (another process's first load) warns once, however often it reloads.
    fresh = PolicyAuthorizer(deps.db, deps.region)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="strongroom.iam"):
        fresh.policy_set(tenancy)
        fresh.invalidate()
        fresh.policy_set(tenancy)
    assert len([r for r in caplog.records if record.name in r.getMessage()]) == 1
    names = {p.policy_id: p.names for p in fresh.unresolved(tenancy)}
    assert names[record.id] == (
        f"statement 2: group '{ghost}'",
        f"statement 3: compartment '{ghost}'",
    )
