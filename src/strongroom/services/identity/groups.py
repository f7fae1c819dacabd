"""Group use cases: CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.errors import Conflict, IncorrectState
from strongroom.domain.identity import Group
from strongroom.domain.ids import new_ocid
from strongroom.domain.paging import Page
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.identity.bootstrap import ADMINISTRATORS
from strongroom.services.identity.common import (
    Deleted,
    group_for,
    tenancy_target,
)
from strongroom.services.ports import Deps
from strongroom.storage import schema

__all__ = [
    "CreateGroupRequest",
    "DeleteGroupRequest",
    "GetGroupRequest",
    "ListGroupsRequest",
    "UpdateGroupRequest",
    "create_group",
    "delete_group",
    "get_group",
    "list_groups",
    "update_group",
]


@dataclass(frozen=True)
class CreateGroupRequest:
    """CreateGroup's validated input (groups live in the tenancy)."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class GetGroupRequest:
    """GetGroup's input."""

    group_id: str


@dataclass(frozen=True)
class ListGroupsRequest:
    """ListGroups' input: every group of the caller's tenancy."""


@dataclass(frozen=True)
class UpdateGroupRequest:
    """UpdateGroup's validated input: the new description."""

    group_id: str
    description: str = ""


@dataclass(frozen=True)
class DeleteGroupRequest:
    """DeleteGroup's input."""

    group_id: str


def create_group(deps: Deps, call: Call, request: CreateGroupRequest) -> Group:
    """A new group; names are unique in the tenancy."""
    name = request.name
    with deps.db.transaction() as tx:
        authorize(deps, call, "CreateGroup", tenancy_target(call))
        if any(g.name.lower() == name.lower() for g in tx.iam.groups(call.principal.tenancy_id)):
            raise Conflict(f"A group named {name!r} already exists")
        group = Group(
            new_ocid("group", deps.region, deps.random_bytes),
            call.principal.tenancy_id,
            name,
            request.description,
            deps.clock.now(),
        )
        tx.identity.add_group(group)
    return group


def get_group(deps: Deps, call: Call, request: GetGroupRequest) -> Group:
    """One group."""
    with deps.db.transaction(read_only=True) as tx:
        return group_for(deps, tx, call, request.group_id, "GetGroup")


def list_groups(deps: Deps, call: Call, request: ListGroupsRequest) -> Page[Group]:
    """The tenancy's groups, in one page (the adapter windows them)."""
    with deps.db.transaction(read_only=True) as tx:
        authorize(deps, call, "ListGroups", tenancy_target(call))
        return Page(tx.iam.groups(call.principal.tenancy_id), None)


def update_group(deps: Deps, call: Call, request: UpdateGroupRequest) -> Group:
    """Replace a group's description."""
    with deps.db.transaction() as tx:
        group = group_for(deps, tx, call, request.group_id, "UpdateGroup")
        tx.iam.update_description(schema.groups, group.id, request.description)
        return tx.iam.get_group(group.id) or group


def delete_group(deps: Deps, call: Call, request: DeleteGroupRequest) -> Deleted:
    """Delete an empty group (OCI refuses groups that still have members)."""
    with deps.db.transaction() as tx:
        group = group_for(deps, tx, call, request.group_id, "DeleteGroup")
        if group.name == ADMINISTRATORS:
            raise IncorrectState("The Administrators group cannot be deleted")
        if tx.iam.memberships(group.tenancy_id, None, group.id):
            raise IncorrectState("The group still has members; remove them first")
        tx.iam.delete_row(schema.groups, group.id)
    return Deleted(group.id)
