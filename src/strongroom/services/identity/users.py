"""User use cases: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.errors import Conflict, IncorrectState
from strongroom.domain.identity import User
from strongroom.domain.ids import new_ocid
from strongroom.domain.paging import Page
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.identity.common import (
    Deleted,
    tenancy_target,
    user_for,
)
from strongroom.services.identity.memberships import keep_an_administrator
from strongroom.services.ports import Deps
from strongroom.storage import schema

__all__ = [
    "CreateUserRequest",
    "DeleteUserRequest",
    "GetUserRequest",
    "ListUsersRequest",
    "UpdateUserRequest",
    "create_user",
    "delete_user",
    "get_user",
    "list_users",
    "update_user",
]


@dataclass(frozen=True)
class CreateUserRequest:
    """CreateUser's validated input (users live in the tenancy)."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class GetUserRequest:
    """GetUser's input."""

    user_id: str


@dataclass(frozen=True)
class ListUsersRequest:
    """ListUsers' input: every user of the caller's tenancy."""


@dataclass(frozen=True)
class UpdateUserRequest:
    """UpdateUser's validated input: the new description."""

    user_id: str
    description: str = ""


@dataclass(frozen=True)
class DeleteUserRequest:
    """DeleteUser's input."""

    user_id: str


def create_user(deps: Deps, call: Call, request: CreateUserRequest) -> User:
    """A new ACTIVE user; names are unique in the tenancy."""
    name = request.name
    with deps.db.transaction() as tx:
        authorize(deps, call, "CreateUser", tenancy_target(call))
        live = [
            u for u in tx.iam.users(call.principal.tenancy_id) if u.lifecycle_state != "DELETED"
        ]
        if any(u.name.lower() == name.lower() for u in live):
            raise Conflict(f"A user named {name!r} already exists")
        user = User(
            new_ocid("user", deps.region, deps.random_bytes),
            call.principal.tenancy_id,
            name,
            request.description,
            "ACTIVE",
            deps.clock.now(),
        )
        tx.identity.add_user(user)
    return user


def get_user(deps: Deps, call: Call, request: GetUserRequest) -> User:
    """One user."""
    with deps.db.transaction(read_only=True) as tx:
        return user_for(deps, tx, call, request.user_id, "GetUser")


def list_users(deps: Deps, call: Call, request: ListUsersRequest) -> Page[User]:
    """The tenancy's users, in one page (the adapter windows them)."""
    with deps.db.transaction(read_only=True) as tx:
        authorize(deps, call, "ListUsers", tenancy_target(call))
        return Page(tx.iam.users(call.principal.tenancy_id), None)


def update_user(deps: Deps, call: Call, request: UpdateUserRequest) -> User:
    """Replace a user's description."""
    with deps.db.transaction() as tx:
        user = user_for(deps, tx, call, request.user_id, "UpdateUser")
        tx.iam.update_description(schema.users, user.id, request.description)
        return tx.identity.get_user(user.id) or user


def delete_user(deps: Deps, call: Call, request: DeleteUserRequest) -> Deleted:
    """Delete a user: memberships, API keys, OAuth2 client credentials and customer secret keys
    go at once, so signed requests stop working."""
    with deps.db.transaction() as tx:
        user = user_for(deps, tx, call, request.user_id, "DeleteUser")
        if user.id == call.principal.user_id:
            raise IncorrectState("You cannot delete yourself")
        for membership in tx.iam.memberships(user.tenancy_id, user.id, None):
            keep_an_administrator(tx, membership.group_id, user.tenancy_id)
        tx.iam.delete_memberships_of("user_id", user.id)
        tx.iam.delete_api_keys_of(user.id)
        tx.iam.delete_applications_of(user.id)
        tx.identity.secret_keys.delete_of_user(user.id)
        tx.iam.set_user_state(user.id, "DELETED")
    return Deleted(user.id)
