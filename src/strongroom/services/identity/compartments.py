"""Compartment use cases: CreateCompartment, GetCompartment, ListCompartments (with subtree),
UpdateCompartment, DeleteCompartment (only when empty)."""

from __future__ import annotations

from dataclasses import dataclass, field

from strongroom.domain.errors import Conflict, IncorrectState, NotFound
from strongroom.domain.identity import Compartment
from strongroom.domain.ids import new_ocid
from strongroom.domain.paging import Page
from strongroom.iam.compartments import MAX_DEPTH, CompartmentTree
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.identity.common import Deleted, tenancy_target
from strongroom.services.lookup import NOT_FOUND, require_compartment
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "CreateCompartmentRequest",
    "DeleteCompartmentRequest",
    "GetCompartmentRequest",
    "ListCompartmentsRequest",
    "UpdateCompartmentRequest",
    "create_compartment",
    "delete_compartment",
    "get_compartment",
    "list_compartments",
    "update_compartment",
]


@dataclass(frozen=True)
class CreateCompartmentRequest:
    """CreateCompartment's validated input: a compartment ``name`` under ``compartment_id``."""

    compartment_id: str
    name: str
    description: str = ""
    freeform_tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GetCompartmentRequest:
    """GetCompartment's input."""

    compartment_id: str


@dataclass(frozen=True)
class ListCompartmentsRequest:
    """ListCompartments' input: children of ``compartment_id`` (or its subtree), filtered."""

    compartment_id: str
    compartment_id_in_subtree: bool = False
    lifecycle_state: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class UpdateCompartmentRequest:
    """UpdateCompartment's validated input; None leaves a field as it is."""

    compartment_id: str
    name: str | None = None
    description: str | None = None
    freeform_tags: dict[str, str] | None = None
    if_match: str | None = None


@dataclass(frozen=True)
class DeleteCompartmentRequest:
    """DeleteCompartment's input."""

    compartment_id: str
    if_match: str | None = None


def _tree(tx: Transaction, tenancy_id: str) -> CompartmentTree:
    active = [c for c in tx.iam.compartments(tenancy_id) if c.lifecycle_state == "ACTIVE"]
    parents: dict[str, str | None] = {tenancy_id: None}
    parents.update({c.id: c.parent_id for c in active})
    return CompartmentTree(tenancy_id, parents, {c.id: c.name for c in active})


def _load(
    deps: Deps, tx: Transaction, call: Call, compartment_id: str, operation: str
) -> Compartment:
    compartment = tx.iam.get_compartment(compartment_id)
    if compartment is None or compartment.tenancy_id != call.principal.tenancy_id:
        raise NotFound(NOT_FOUND)
    authorize(deps, call, operation, tenancy_target(call, compartment.parent_id))
    return compartment


def create_compartment(deps: Deps, call: Call, request: CreateCompartmentRequest) -> Compartment:
    """A new ACTIVE compartment under ``compartment_id``; names are unique among siblings."""
    parent_id, name = request.compartment_id, request.name
    with deps.db.transaction() as tx:
        require_compartment(deps, tx, call, parent_id)
        authorize(deps, call, "CreateCompartment", tenancy_target(call, parent_id))
        tree = _tree(tx, call.principal.tenancy_id)
        if len(tree.ancestors(parent_id)) >= MAX_DEPTH - 1:
            raise IncorrectState(f"Compartments can be nested at most {MAX_DEPTH - 2} levels deep")
        if tree.child_named(parent_id, name) is not None:
            raise Conflict(f"A compartment named {name!r} already exists in that compartment")
        compartment = Compartment(
            id=new_ocid("compartment", deps.region, deps.random_bytes),
            tenancy_id=call.principal.tenancy_id,
            parent_id=parent_id,
            name=name,
            description=request.description,
            lifecycle_state="ACTIVE",
            time_created=deps.clock.now(),
            freeform_tags=request.freeform_tags,
        )
        tx.iam.add_compartment(compartment)
    return compartment


def get_compartment(deps: Deps, call: Call, request: GetCompartmentRequest) -> Compartment:
    """One compartment."""
    with deps.db.transaction(read_only=True) as tx:
        return _load(deps, tx, call, request.compartment_id, "GetCompartment")


def list_compartments(
    deps: Deps, call: Call, request: ListCompartmentsRequest
) -> Page[Compartment]:
    """Children of ``compartment_id``, or its whole subtree, in one page (identity lists are
    small: the adapter windows them)."""
    parent_id = request.compartment_id
    with deps.db.transaction(read_only=True) as tx:
        require_compartment(deps, tx, call, parent_id)
        authorize(deps, call, "ListCompartments", tenancy_target(call, parent_id))
        everything = tx.iam.compartments(call.principal.tenancy_id)
        tree = _tree(tx, call.principal.tenancy_id)
    if not request.compartment_id_in_subtree:
        found = [c for c in everything if c.parent_id == parent_id]
    else:
        found = [c for c in everything if parent_id in tree.ancestors(c.id)[1:]]
    if request.lifecycle_state is not None:
        found = [c for c in found if c.lifecycle_state == request.lifecycle_state]
    if request.name is not None:
        found = [c for c in found if c.name == request.name]
    return Page(found, None)


def update_compartment(deps: Deps, call: Call, request: UpdateCompartmentRequest) -> Compartment:
    """Rename, re-describe or re-tag a compartment."""
    with deps.db.transaction() as tx:
        compartment = _load(deps, tx, call, request.compartment_id, "UpdateCompartment")
        check_etag(compartment.id, compartment.version, request.if_match)
        if compartment.lifecycle_state != "ACTIVE":
            raise IncorrectState("Only ACTIVE compartments can be updated")
        if request.name is not None and request.name != compartment.name:
            if _tree(tx, compartment.tenancy_id).child_named(compartment.parent_id, request.name):
                raise Conflict(f"A compartment named {request.name!r} already exists there")
            compartment.name = request.name
        if request.description is not None:
            compartment.description = request.description
        if request.freeform_tags is not None:
            compartment.freeform_tags = request.freeform_tags
        tx.iam.save_compartment(compartment)
    return compartment


def delete_compartment(deps: Deps, call: Call, request: DeleteCompartmentRequest) -> Deleted:
    """Delete an empty compartment: no child compartments, vaults, keys, secrets or policies."""
    with deps.db.transaction() as tx:
        compartment = _load(deps, tx, call, request.compartment_id, "DeleteCompartment")
        check_etag(compartment.id, compartment.version, request.if_match)
        if compartment.lifecycle_state != "ACTIVE":
            raise IncorrectState("The compartment is already deleted")
        held = tx.iam.count_in_compartment(compartment.id, deps.clock.now())
        if tx.iam.children(compartment.id) or held:
            raise IncorrectState("The compartment is not empty; move or delete what it holds first")
        compartment.lifecycle_state = "DELETED"
        tx.iam.save_compartment(compartment)
    return Deleted(compartment.id)
