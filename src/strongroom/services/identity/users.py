"""Users, groups, memberships and API keys."""

from __future__ import annotations

from strongroom.crypto.request_signing import fingerprint, load_api_public_key, public_pem
from strongroom.domain.errors import Conflict, IncorrectState, InvalidParameter, NotFound
from strongroom.domain.identity import ApiKey, Group, Membership, User
from strongroom.domain.ids import new_ocid
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.identity.bootstrap import ADMINISTRATORS
from strongroom.services.identity.common import identity_changed, tenancy_target
from strongroom.services.lookup import NOT_FOUND
from strongroom.services.ports import Deps
from strongroom.storage import schema
from strongroom.storage.unit_of_work import Transaction

MAX_API_KEYS = 3


def _user(deps: Deps, tx: Transaction, call: Call, user_id: str, operation: str) -> User:
    user = tx.identity.get_user(user_id)
    if user is None or user.tenancy_id != call.principal.tenancy_id:
        raise NotFound(NOT_FOUND)
    authorize(deps, call, operation, tenancy_target(call, user_id=user.id))
    return user


def _group(deps: Deps, tx: Transaction, call: Call, group_id: str, operation: str) -> Group:
    group = tx.iam.get_group(group_id)
    if group is None or group.tenancy_id != call.principal.tenancy_id:
        raise NotFound(NOT_FOUND)
    authorize(deps, call, operation, tenancy_target(call, group_id=group.id))
    return group


def _keep_an_administrator(tx: Transaction, group_id: str, tenancy_id: str) -> None:
    """The Administrators group must keep at least one member, as in OCI."""
    group = tx.iam.get_group(group_id)
    is_admins = group is not None and group.name == ADMINISTRATORS
    if is_admins and len(tx.iam.memberships(tenancy_id, None, group_id)) <= 1:
        raise IncorrectState("The Administrators group must keep at least one member")


def create_user(deps: Deps, call: Call, name: str, description: str) -> User:
    """A new ACTIVE user; names are unique in the tenancy."""
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
            description,
            "ACTIVE",
            deps.clock.now(),
        )
        tx.identity.add_user(user)
    return user


def get_user(deps: Deps, call: Call, user_id: str) -> User:
    with deps.db.transaction(read_only=True) as tx:
        return _user(deps, tx, call, user_id, "GetUser")


def list_users(deps: Deps, call: Call) -> list[User]:
    with deps.db.transaction(read_only=True) as tx:
        authorize(deps, call, "ListUsers", tenancy_target(call))
        return tx.iam.users(call.principal.tenancy_id)


def update_user(deps: Deps, call: Call, user_id: str, description: str) -> User:
    with deps.db.transaction() as tx:
        user = _user(deps, tx, call, user_id, "UpdateUser")
        tx.iam.update_description(schema.users, user.id, description)
        return tx.identity.get_user(user.id) or user


def delete_user(deps: Deps, call: Call, user_id: str) -> None:
    """Delete a user: memberships and API keys go at once, so signed requests stop working."""
    with deps.db.transaction() as tx:
        user = _user(deps, tx, call, user_id, "DeleteUser")
        if user.id == call.principal.user_id:
            raise IncorrectState("You cannot delete yourself")
        for membership in tx.iam.memberships(user.tenancy_id, user.id, None):
            _keep_an_administrator(tx, membership.group_id, user.tenancy_id)
        tx.iam.delete_memberships_of("user_id", user.id)
        tx.iam.delete_api_keys_of(user.id)
        tx.iam.delete_applications_of(user.id)
        tx.iam.set_user_state(user.id, "DELETED")
    identity_changed(deps)


def create_group(deps: Deps, call: Call, name: str, description: str) -> Group:
    with deps.db.transaction() as tx:
        authorize(deps, call, "CreateGroup", tenancy_target(call))
        if any(g.name.lower() == name.lower() for g in tx.iam.groups(call.principal.tenancy_id)):
            raise Conflict(f"A group named {name!r} already exists")
        group = Group(
            new_ocid("group", deps.region, deps.random_bytes),
            call.principal.tenancy_id,
            name,
            description,
            deps.clock.now(),
        )
        tx.identity.add_group(group)
    return group


def get_group(deps: Deps, call: Call, group_id: str) -> Group:
    with deps.db.transaction(read_only=True) as tx:
        return _group(deps, tx, call, group_id, "GetGroup")


def list_groups(deps: Deps, call: Call) -> list[Group]:
    with deps.db.transaction(read_only=True) as tx:
        authorize(deps, call, "ListGroups", tenancy_target(call))
        return tx.iam.groups(call.principal.tenancy_id)


def update_group(deps: Deps, call: Call, group_id: str, description: str) -> Group:
    with deps.db.transaction() as tx:
        group = _group(deps, tx, call, group_id, "UpdateGroup")
        tx.iam.update_description(schema.groups, group.id, description)
        return tx.iam.get_group(group.id) or group


def delete_group(deps: Deps, call: Call, group_id: str) -> None:
    """Delete an empty group (OCI refuses groups that still have members)."""
    with deps.db.transaction() as tx:
        group = _group(deps, tx, call, group_id, "DeleteGroup")
        if group.name == ADMINISTRATORS:
            raise IncorrectState("The Administrators group cannot be deleted")
        if tx.iam.memberships(group.tenancy_id, None, group.id):
            raise IncorrectState("The group still has members; remove them first")
        tx.iam.delete_row(schema.groups, group.id)
    identity_changed(deps)


def add_user_to_group(deps: Deps, call: Call, user_id: str, group_id: str) -> Membership:
    """Membership takes effect on the user's next request."""
    with deps.db.transaction() as tx:
        group = _group(deps, tx, call, group_id, "AddUserToGroup")
        user = _user(deps, tx, call, user_id, "AddUserToGroup")
        if user.lifecycle_state != "ACTIVE":
            raise IncorrectState("The user is not ACTIVE")
        if tx.iam.memberships(group.tenancy_id, user.id, group.id):
            raise Conflict("The user is already a member of the group")
        membership_id = new_ocid("groupmembership", deps.region, deps.random_bytes)
        tx.identity.add_membership(membership_id, group, user)
        membership = tx.iam.get_membership(membership_id)
    identity_changed(deps)
    assert membership is not None
    return membership


def get_membership(deps: Deps, call: Call, membership_id: str) -> Membership:
    with deps.db.transaction(read_only=True) as tx:
        membership = tx.iam.get_membership(membership_id)
        if membership is None or membership.tenancy_id != call.principal.tenancy_id:
            raise NotFound(NOT_FOUND)
        authorize(deps, call, "GetUserGroupMembership", tenancy_target(call))
        return membership


def list_memberships(
    deps: Deps, call: Call, user_id: str | None, group_id: str | None
) -> list[Membership]:
    with deps.db.transaction(read_only=True) as tx:
        authorize(deps, call, "ListUserGroupMemberships", tenancy_target(call))
        return tx.iam.memberships(call.principal.tenancy_id, user_id, group_id)


def remove_user_from_group(deps: Deps, call: Call, membership_id: str) -> None:
    """Effective at once: the next request of the user no longer carries the group."""
    with deps.db.transaction() as tx:
        membership = tx.iam.get_membership(membership_id)
        if membership is None or membership.tenancy_id != call.principal.tenancy_id:
            raise NotFound(NOT_FOUND)
        authorize(deps, call, "RemoveUserFromGroup", tenancy_target(call))
        _keep_an_administrator(tx, membership.group_id, membership.tenancy_id)
        tx.iam.delete_row(schema.group_memberships, membership.id)
    identity_changed(deps)


def upload_api_key(deps: Deps, call: Call, user_id: str, pem: str) -> tuple[str, ApiKey]:
    """Add an API signing key; a user may hold three at once, for rotation."""
    public = load_api_public_key(pem)
    print_ = fingerprint(public)
    with deps.db.transaction() as tx:
        user = _user(deps, tx, call, user_id, "UploadApiKey")
        existing = tx.iam.api_keys_of(user.id)
        if any(k.fingerprint == print_ for _, k in existing):
            raise Conflict("This key is already registered for the user")
        if len(existing) >= MAX_API_KEYS:
            raise InvalidParameter(f"A user may have at most {MAX_API_KEYS} API keys")
        key = ApiKey(
            user.id, user.tenancy_id, print_, public_pem(public), "ACTIVE", deps.clock.now()
        )
        key_id = f"{user.tenancy_id}/{user.id}/{print_}"
        tx.identity.add_api_key(key_id, key)
    return key_id, key


def list_api_keys(deps: Deps, call: Call, user_id: str) -> list[tuple[str, ApiKey]]:
    with deps.db.transaction(read_only=True) as tx:
        user = _user(deps, tx, call, user_id, "ListApiKeys")
        return tx.iam.api_keys_of(user.id)


def delete_api_key(deps: Deps, call: Call, user_id: str, fingerprint_: str) -> None:
    """Remove an API key; requests signed with it fail from now on."""
    with deps.db.transaction() as tx:
        user = _user(deps, tx, call, user_id, "DeleteApiKey")
        if not tx.iam.delete_api_key(f"{user.tenancy_id}/{user.id}/{fingerprint_}"):
            raise NotFound(NOT_FOUND)
    identity_changed(deps)
