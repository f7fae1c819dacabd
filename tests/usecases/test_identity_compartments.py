"""Compartment rules through the use cases: nesting, sibling names, etags, and deletion only
of an empty compartment."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from strongroom.domain.errors import Conflict, IncorrectState, PreconditionFailed
from strongroom.domain.identity import Compartment
from strongroom.domain.vault import Vault
from strongroom.services.context import Call
from strongroom.services.etags import etag_of
from strongroom.services.identity import compartments as c
from strongroom.services.identity import policies
from strongroom.services.identity.common import Deleted
from strongroom.services.ports import Deps
from tests.usecases.identity_support import unique


def _new(deps: Deps, call: Call, parent_id: str | None = None) -> Compartment:
    parent = parent_id or call.principal.tenancy_id
    request = c.CreateCompartmentRequest(parent, unique("comp"), "for a test", {"team": "a"})
    return c.create_compartment(deps, call, request)


def _delete(deps: Deps, call: Call, compartment_id: str) -> Deleted:
    return c.delete_compartment(deps, call, c.DeleteCompartmentRequest(compartment_id))


def test_create_get_and_list_with_subtree(deps: Deps, admin_call: Call) -> None:
    parent = _new(deps, admin_call)
    child = _new(deps, admin_call, parent.id)
    grandchild = _new(deps, admin_call, child.id)

    got = c.get_compartment(deps, admin_call, c.GetCompartmentRequest(child.id))
    assert (got.parent_id, got.lifecycle_state, got.freeform_tags) == (
        parent.id,
        "ACTIVE",
        {"team": "a"},
    )
    children = c.list_compartments(deps, admin_call, c.ListCompartmentsRequest(parent.id))
    assert [x.id for x in children.items] == [child.id]
    assert children.next_offset is None
    subtree = c.ListCompartmentsRequest(parent.id, compartment_id_in_subtree=True)
    found = c.list_compartments(deps, admin_call, subtree)
    assert {x.id for x in found.items} == {child.id, grandchild.id}
    named = c.ListCompartmentsRequest(parent.id, True, "ACTIVE", grandchild.name)
    assert [x.id for x in c.list_compartments(deps, admin_call, named).items] == [grandchild.id]


def test_sibling_names_are_unique(deps: Deps, admin_call: Call) -> None:
    parent = _new(deps, admin_call)
    first = _new(deps, admin_call, parent.id)
    again = c.CreateCompartmentRequest(parent.id, first.name)
    with pytest.raises(Conflict, match="already exists in that compartment"):
        c.create_compartment(deps, admin_call, again)
    second = _new(deps, admin_call, parent.id)
    rename = c.UpdateCompartmentRequest(second.id, name=first.name)
    with pytest.raises(Conflict, match="already exists there"):
        c.update_compartment(deps, admin_call, rename)


def test_update_checks_the_etag(deps: Deps, admin_call: Call) -> None:
    made = _new(deps, admin_call)
    stale = etag_of(made.id, made.version)
    changed = c.update_compartment(
        deps, admin_call, c.UpdateCompartmentRequest(made.id, description="new", if_match=stale)
    )
    assert changed.description == "new"
    with pytest.raises(PreconditionFailed):
        c.update_compartment(
            deps, admin_call, c.UpdateCompartmentRequest(made.id, description="x", if_match=stale)
        )


def test_a_compartment_with_a_child_is_not_deleted(deps: Deps, admin_call: Call) -> None:
    parent = _new(deps, admin_call)
    child = _new(deps, admin_call, parent.id)
    with pytest.raises(IncorrectState, match="not empty"):
        _delete(deps, admin_call, parent.id)
    assert _delete(deps, admin_call, child.id) == Deleted(child.id)
    assert _delete(deps, admin_call, parent.id) == Deleted(parent.id)
    gone = c.get_compartment(deps, admin_call, c.GetCompartmentRequest(parent.id))
    assert gone.lifecycle_state == "DELETED"
    with pytest.raises(IncorrectState, match="already deleted"):
        _delete(deps, admin_call, parent.id)


def test_a_compartment_with_a_policy_is_not_deleted(deps: Deps, admin_call: Call) -> None:
    home = _new(deps, admin_call)
    statement = "Allow group Administrators to read keys in compartment id " + home.id
    policy = policies.create_policy(
        deps, admin_call, policies.CreatePolicyRequest(home.id, unique("policy"), [statement])
    )
    with pytest.raises(IncorrectState, match="not empty"):
        _delete(deps, admin_call, home.id)
    policies.delete_policy(deps, admin_call, policies.DeletePolicyRequest(policy.id))
    assert _delete(deps, admin_call, home.id) == Deleted(home.id)


def test_a_compartment_with_a_vault_is_not_deleted(
    deps: Deps, admin_call: Call, new_vault: Callable[..., Vault]
) -> None:
    home = _new(deps, admin_call)
    new_vault(compartment_id=home.id)
    with pytest.raises(IncorrectState, match="not empty"):
        _delete(deps, admin_call, home.id)
