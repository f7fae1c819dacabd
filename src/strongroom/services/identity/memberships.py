"""Group membership use cases: AddUserToGroup, ListUserGroupMemberships,
GetUserGroupMembership, RemoveUserFromGroup."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.errors import Conflict, IncorrectState, NotFound
from strongroom.domain.identity import Membership
from strongroom.domain.ids import new_ocid
from strongroom.domain.paging import Page
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.identity.bootstrap import ADMINISTRATORS
from strongroom.services.identity.common import (
    Deleted,
    group_for,
    tenancy_target,
    user_for,
)
from strongroom.services.lookup import NOT_FOUND
from strongroom.services.ports import Deps
from strongroom.storage import schema
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "AddUserToGroupRequest",
    "GetUserGroupMembershipRequest",
    "ListUserGroupMembershipsRequest",
    "RemoveUserFromGroupRequest",
    "add_user_to_group",
    "get_user_group_membership",
    "keep_an_administrator",
    "list_user_group_memberships",
    "remove_user_from_group",
]


@dataclass(frozen=True)
class AddUserToGroupRequest:
    """AddUserToGroup's input."""

    user_id: str
    group_id: str


@dataclass(frozen=True)
class ListUserGroupMembershipsRequest:
    """ListUserGroupMemberships' input: the tenancy's memberships, of a user and/or a group."""

    user_id: str | None = None
    group_id: str | None = None


@dataclass(frozen=True)
class GetUserGroupMembershipRequest:
    """GetUserGroupMembership's input."""

    user_group_membership_id: str


@dataclass(frozen=True)
class RemoveUserFromGroupRequest:
    """RemoveUserFromGroup's input."""

    user_group_membership_id: str


def keep_an_administrator(tx: Transaction, group_id: str, tenancy_id: str) -> None:
    """The Administrators group must keep at least one member, as in OCI."""
    group = tx.iam.get_group(group_id)
    is_admins = group is not None and group.name == ADMINISTRATORS
    if is_admins and len(tx.iam.memberships(tenancy_id, None, group_id)) <= 1:
        raise IncorrectState("The Administrators group must keep at least one member")


def _membership(
    deps: Deps, tx: Transaction, call: Call, membership_id: str, operation: str
) -> Membership:
    membership = tx.iam.get_membership(membership_id)
    if membership is None or membership.tenancy_id != call.principal.tenancy_id:
        raise NotFound(NOT_FOUND)
    authorize(deps, call, operation, tenancy_target(call))
    return membership


def add_user_to_group(deps: Deps, call: Call, request: AddUserToGroupRequest) -> Membership:
    """Membership takes effect on the user's next request."""
    with deps.db.transaction() as tx:
        group = group_for(deps, tx, call, request.group_id, "AddUserToGroup")
        user = user_for(deps, tx, call, request.user_id, "AddUserToGroup")
        if user.lifecycle_state != "ACTIVE":
            raise IncorrectState("The user is not ACTIVE")
        if tx.iam.memberships(group.tenancy_id, user.id, group.id):
            raise Conflict("The user is already a member of the group")
        membership_id = new_ocid("groupmembership", deps.region, deps.random_bytes)
        tx.identity.add_membership(membership_id, group, user)
        membership = tx.iam.get_membership(membership_id)
    assert membership is not None
    return membership


def get_user_group_membership(
    deps: Deps, call: Call, request: GetUserGroupMembershipRequest
) -> Membership:
    """One membership."""
    with deps.db.transaction(read_only=True) as tx:
        return _membership(
            deps, tx, call, request.user_group_membership_id, "GetUserGroupMembership"
        )


def list_user_group_memberships(
    deps: Deps, call: Call, request: ListUserGroupMembershipsRequest
) -> Page[Membership]:
    """The tenancy's memberships (of one user and/or group), in one page."""
    with deps.db.transaction(read_only=True) as tx:
        authorize(deps, call, "ListUserGroupMemberships", tenancy_target(call))
        found = tx.iam.memberships(call.principal.tenancy_id, request.user_id, request.group_id)
    return Page(found, None)


def remove_user_from_group(deps: Deps, call: Call, request: RemoveUserFromGroupRequest) -> Deleted:
    """Effective at once: the next request of the user no longer carries the group."""
    with deps.db.transaction() as tx:
        membership = _membership(
            deps, tx, call, request.user_group_membership_id, "RemoveUserFromGroup"
        )
        keep_an_administrator(tx, membership.group_id, membership.tenancy_id)
        tx.iam.delete_row(schema.group_memberships, membership.id)
    return Deleted(membership.id)
