"""Policies, dynamic groups and authorization through the use cases: a statement that does not
parse stores nothing, the tenant admin policy stays as it is, deny by default, Deny beats Allow,
and a caller without a grant gets NotAuthorized (the 404 of a missing resource)."""

from __future__ import annotations

import pytest

from strongroom.domain.errors import Conflict, IncorrectState, InvalidParameter, NotAuthorized
from strongroom.domain.identity import PolicyRecord
from strongroom.services.context import Call
from strongroom.services.identity import compartments, dynamic_groups, policies, users
from strongroom.services.identity.bootstrap import ADMIN_STATEMENT, TENANT_ADMIN_POLICY
from strongroom.services.identity.common import Deleted
from strongroom.services.ports import Deps
from tests.usecases.identity_support import call_of, grant, new_group, new_user, unique

BROKEN = "Allow group Administrators to manage keys in"


def _tenancy_policies(deps: Deps, call: Call) -> list[PolicyRecord]:
    request = policies.ListPoliciesRequest(call.principal.tenancy_id)
    return policies.list_policies(deps, call, request).items


def test_a_policy_with_a_syntax_error_stores_nothing(deps: Deps, admin_call: Call) -> None:
    name = unique("policy")
    request = policies.CreatePolicyRequest(admin_call.principal.tenancy_id, name, [BROKEN])
    with pytest.raises(InvalidParameter, match=r"^Policy syntax error: .*line 1, column"):
        policies.create_policy(deps, admin_call, request)
    assert name not in {p.name for p in _tenancy_policies(deps, admin_call)}


def test_an_update_with_a_syntax_error_changes_nothing(deps: Deps, admin_call: Call) -> None:
    good = "Allow group Administrators to read keys in tenancy"
    policy = grant(deps, admin_call, good)
    broken = policies.UpdatePolicyRequest(policy.id, "changed", [good, BROKEN])
    with pytest.raises(InvalidParameter, match="Policy syntax error"):
        policies.update_policy(deps, admin_call, broken)
    got = policies.get_policy(deps, admin_call, policies.GetPolicyRequest(policy.id))
    assert (got.description, got.statements, got.version) == ("", [good], policy.version)


@pytest.mark.parametrize(
    "statements",
    [[], ["x" * 2001], ["Allow group A to read keys in tenancy"] * 51],
    ids=["none", "too-long", "too-many"],
)
def test_statement_limits(deps: Deps, admin_call: Call, statements: list[str]) -> None:
    request = policies.CreatePolicyRequest(
        admin_call.principal.tenancy_id, unique("policy"), statements
    )
    with pytest.raises(InvalidParameter, match="statement"):
        policies.create_policy(deps, admin_call, request)


def test_policy_names_are_unique_until_deleted(deps: Deps, admin_call: Call) -> None:
    policy = grant(deps, admin_call, "Allow group Administrators to read keys in tenancy")
    again = policies.CreatePolicyRequest(policy.compartment_id, policy.name, policy.statements)
    with pytest.raises(Conflict, match="already exists"):
        policies.create_policy(deps, admin_call, again)
    deleted = policies.delete_policy(deps, admin_call, policies.DeletePolicyRequest(policy.id))
    assert deleted == Deleted(policy.id)
    assert policies.create_policy(deps, admin_call, again).name == policy.name


def test_the_tenant_admin_policy_cannot_be_changed_or_deleted(deps: Deps, admin_call: Call) -> None:
    (admin_policy,) = [
        p for p in _tenancy_policies(deps, admin_call) if p.name == TENANT_ADMIN_POLICY
    ]
    refused = "The tenant admin policy cannot be changed or deleted"
    change = policies.UpdatePolicyRequest(
        admin_policy.id, statements=["Allow group A to read keys in tenancy"]
    )
    with pytest.raises(IncorrectState, match=refused):
        policies.update_policy(deps, admin_call, change)
    with pytest.raises(IncorrectState, match=refused):
        policies.delete_policy(deps, admin_call, policies.DeletePolicyRequest(admin_policy.id))
    got = policies.get_policy(deps, admin_call, policies.GetPolicyRequest(admin_policy.id))
    assert (got.lifecycle_state, got.statements) == ("ACTIVE", [ADMIN_STATEMENT])


def test_a_user_without_policies_may_do_nothing(deps: Deps, admin_call: Call) -> None:
    """Deny by default: not even reading themselves or listing the tenancy's users."""
    user = new_user(deps, admin_call)
    call = call_of(deps, user)
    tenancy = call.principal.tenancy_id
    with pytest.raises(NotAuthorized):
        users.get_user(deps, call, users.GetUserRequest(user.id))
    with pytest.raises(NotAuthorized):
        users.list_users(deps, call, users.ListUsersRequest())
    with pytest.raises(NotAuthorized):
        compartments.list_compartments(deps, call, compartments.ListCompartmentsRequest(tenancy))
    create = compartments.CreateCompartmentRequest(tenancy, unique("comp"))
    with pytest.raises(NotAuthorized):
        compartments.create_compartment(deps, call, create)
    assert call.audit.decision == "denied"


def test_a_grant_allows_what_it_names_and_no_more(deps: Deps, admin_call: Call) -> None:
    user = new_user(deps, admin_call)
    group = new_group(deps, admin_call, user)
    grant(deps, admin_call, f"Allow group {group.name} to inspect users in tenancy")
    call = call_of(deps, user)
    listed = users.list_users(deps, call, users.ListUsersRequest())
    assert user.id in {u.id for u in listed.items}
    assert call.audit.decision == "allowed"
    with pytest.raises(NotAuthorized):
        users.get_user(deps, call, users.GetUserRequest(user.id))  # read is more than inspect
    with pytest.raises(NotAuthorized):
        users.create_user(deps, call, users.CreateUserRequest(unique("user")))


def test_deny_beats_allow(deps: Deps, admin_call: Call) -> None:
    user = new_user(deps, admin_call)
    group = new_group(deps, admin_call, user)
    grant(deps, admin_call, f"Allow group {group.name} to read users in tenancy")
    call = call_of(deps, user)
    assert users.get_user(deps, call, users.GetUserRequest(user.id)).id == user.id
    grant(deps, admin_call, f"Deny group {group.name} to read users in tenancy")
    with pytest.raises(NotAuthorized):
        users.get_user(deps, call, users.GetUserRequest(user.id))


def test_a_grant_on_a_compartment_covers_its_descendants(deps: Deps, admin_call: Call) -> None:
    tenancy = admin_call.principal.tenancy_id
    parent = compartments.create_compartment(
        deps, admin_call, compartments.CreateCompartmentRequest(tenancy, unique("comp"))
    )
    child = compartments.create_compartment(
        deps, admin_call, compartments.CreateCompartmentRequest(parent.id, unique("comp"))
    )
    user = new_user(deps, admin_call)
    group = new_group(deps, admin_call, user)
    grant(
        deps,
        admin_call,
        f"Allow group {group.name} to inspect compartments in compartment id {parent.id}",
    )
    call = call_of(deps, user)
    below = compartments.ListCompartmentsRequest(child.id)
    assert compartments.list_compartments(deps, call, below).items == []
    with pytest.raises(NotAuthorized):
        compartments.list_compartments(deps, call, compartments.ListCompartmentsRequest(tenancy))


def test_a_dynamic_group_with_a_broken_rule_stores_nothing(deps: Deps, admin_call: Call) -> None:
    name = unique("dg")
    broken = dynamic_groups.CreateDynamicGroupRequest(name, "ALL {resource.type = ")
    with pytest.raises(InvalidParameter, match=r"^Matching rule syntax error"):
        dynamic_groups.create_dynamic_group(deps, admin_call, broken)
    listed = dynamic_groups.list_dynamic_groups(
        deps, admin_call, dynamic_groups.ListDynamicGroupsRequest()
    )
    assert name not in {g.name for g in listed.items}

    rule = f"ALL {{resource.compartment.id = '{admin_call.principal.tenancy_id}'}}"
    made = dynamic_groups.create_dynamic_group(
        deps, admin_call, dynamic_groups.CreateDynamicGroupRequest(name, rule)
    )
    change = dynamic_groups.UpdateDynamicGroupRequest(made.id, matching_rule="ANY {")
    with pytest.raises(InvalidParameter, match="Matching rule syntax error"):
        dynamic_groups.update_dynamic_group(deps, admin_call, change)
    got = dynamic_groups.get_dynamic_group(
        deps, admin_call, dynamic_groups.GetDynamicGroupRequest(made.id)
    )
    assert got.matching_rule == rule
    gone = dynamic_groups.DeleteDynamicGroupRequest(made.id)
    assert dynamic_groups.delete_dynamic_group(deps, admin_call, gone) == Deleted(made.id)
