"""Users, groups, memberships and API keys through the use cases: at most three API keys per
user, unique names, and the Administrators group that always keeps a member."""

from __future__ import annotations

import pytest

from strongroom.domain.errors import Conflict, IncorrectState, InvalidParameter, NotFound
from strongroom.services.context import Call
from strongroom.services.identity import api_keys, groups, memberships, users
from strongroom.services.identity.bootstrap import ADMINISTRATORS, AdminIdentity
from strongroom.services.identity.common import Deleted
from strongroom.services.ports import Deps
from tests.usecases.identity_support import api_key_pem, call_of, grant, new_group, new_user


def _upload(deps: Deps, call: Call, user_id: str, pem: str) -> api_keys.RegisteredApiKey:
    return api_keys.upload_api_key(deps, call, api_keys.UploadApiKeyRequest(user_id, pem))


def _key_ids(deps: Deps, call: Call, user_id: str) -> set[str]:
    found = api_keys.list_api_keys(deps, call, api_keys.ListApiKeysRequest(user_id))
    return {k.key_id for k in found.items}


def test_at_most_three_api_keys_per_user(deps: Deps, admin_call: Call) -> None:
    user = new_user(deps, admin_call)
    pems = [api_key_pem() for _ in range(4)]
    made = [_upload(deps, admin_call, user.id, pem) for pem in pems[:3]]
    assert made[0].key_id == f"{user.tenancy_id}/{user.id}/{made[0].key.fingerprint}"
    assert _key_ids(deps, admin_call, user.id) == {k.key_id for k in made}

    with pytest.raises(InvalidParameter, match="at most 3 API keys"):
        _upload(deps, admin_call, user.id, pems[3])
    with pytest.raises(Conflict, match="already registered"):
        _upload(deps, admin_call, user.id, pems[0])

    gone = api_keys.DeleteApiKeyRequest(user.id, made[0].key.fingerprint)
    assert api_keys.delete_api_key(deps, admin_call, gone) == Deleted(made[0].key_id)
    with pytest.raises(NotFound):
        api_keys.delete_api_key(deps, admin_call, gone)
    fourth = _upload(deps, admin_call, user.id, pems[3])
    assert _key_ids(deps, admin_call, user.id) == {made[1].key_id, made[2].key_id, fourth.key_id}


def test_user_and_group_names_are_unique(deps: Deps, admin_call: Call) -> None:
    user = new_user(deps, admin_call)
    with pytest.raises(Conflict, match="already exists"):
        users.create_user(deps, admin_call, users.CreateUserRequest(user.name.upper()))
    group = new_group(deps, admin_call)
    with pytest.raises(Conflict, match="already exists"):
        groups.create_group(deps, admin_call, groups.CreateGroupRequest(group.name))


def test_update_and_delete_a_user(deps: Deps, admin_call: Call) -> None:
    user = new_user(deps, admin_call)
    group = new_group(deps, admin_call, user)
    _upload(deps, admin_call, user.id, api_key_pem())
    changed = users.update_user(deps, admin_call, users.UpdateUserRequest(user.id, "about"))
    assert changed.description == "about"

    assert users.delete_user(deps, admin_call, users.DeleteUserRequest(user.id)) == Deleted(user.id)
    got = users.get_user(deps, admin_call, users.GetUserRequest(user.id))
    assert got.lifecycle_state == "DELETED"
    assert _key_ids(deps, admin_call, user.id) == set()
    of_group = memberships.ListUserGroupMembershipsRequest(group_id=group.id)
    assert memberships.list_user_group_memberships(deps, admin_call, of_group).items == []


def test_nobody_deletes_themselves(deps: Deps, admin_call: Call, admin: AdminIdentity) -> None:
    with pytest.raises(IncorrectState, match="cannot delete yourself"):
        users.delete_user(deps, admin_call, users.DeleteUserRequest(admin.user_id))


def test_memberships(deps: Deps, admin_call: Call) -> None:
    user = new_user(deps, admin_call)
    group = new_group(deps, admin_call)
    add = memberships.AddUserToGroupRequest(user.id, group.id)
    made = memberships.add_user_to_group(deps, admin_call, add)
    with pytest.raises(Conflict, match="already a member"):
        memberships.add_user_to_group(deps, admin_call, add)
    got = memberships.get_user_group_membership(
        deps, admin_call, memberships.GetUserGroupMembershipRequest(made.id)
    )
    assert (got.user_id, got.group_id) == (user.id, group.id)
    of_user = memberships.ListUserGroupMembershipsRequest(user_id=user.id)
    assert [
        m.id for m in memberships.list_user_group_memberships(deps, admin_call, of_user).items
    ] == [made.id]

    with pytest.raises(IncorrectState, match="still has members"):
        groups.delete_group(deps, admin_call, groups.DeleteGroupRequest(group.id))
    remove = memberships.RemoveUserFromGroupRequest(made.id)
    assert memberships.remove_user_from_group(deps, admin_call, remove) == Deleted(made.id)
    deleted = groups.delete_group(deps, admin_call, groups.DeleteGroupRequest(group.id))
    assert deleted == Deleted(group.id)
    with pytest.raises(NotFound):
        groups.get_group(deps, admin_call, groups.GetGroupRequest(group.id))


def test_the_administrators_group_keeps_a_member(
    deps: Deps, admin_call: Call, admin: AdminIdentity
) -> None:
    of_admin = memberships.ListUserGroupMembershipsRequest(admin.user_id, admin.group_id)
    (only,) = memberships.list_user_group_memberships(deps, admin_call, of_admin).items
    keep = "The Administrators group must keep at least one member"
    with pytest.raises(IncorrectState, match=keep):
        memberships.remove_user_from_group(
            deps, admin_call, memberships.RemoveUserFromGroupRequest(only.id)
        )
    with pytest.raises(IncorrectState, match="cannot be deleted"):
        groups.delete_group(deps, admin_call, groups.DeleteGroupRequest(admin.group_id))

    second = new_user(deps, admin_call)
    add = memberships.AddUserToGroupRequest(second.id, admin.group_id)
    made = memberships.add_user_to_group(deps, admin_call, add)
    remove = memberships.RemoveUserFromGroupRequest(made.id)
    assert memberships.remove_user_from_group(deps, admin_call, remove) == Deleted(made.id)
    group = groups.get_group(deps, admin_call, groups.GetGroupRequest(admin.group_id))
    assert group.name == ADMINISTRATORS


def test_deleting_the_last_administrator_is_refused_and_changes_nothing(
    deps: Deps, admin_call: Call, admin: AdminIdentity
) -> None:
    manager = new_user(deps, admin_call)
    managers = new_group(deps, admin_call, manager)
    grant(deps, admin_call, f"Allow group {managers.name} to manage users in tenancy")
    as_manager = call_of(deps, manager)
    with pytest.raises(IncorrectState, match="must keep at least one member"):
        users.delete_user(deps, as_manager, users.DeleteUserRequest(admin.user_id))
    still = users.get_user(deps, admin_call, users.GetUserRequest(admin.user_id))
    assert still.lifecycle_state == "ACTIVE"
    of_admin = memberships.ListUserGroupMembershipsRequest(admin.user_id, admin.group_id)
    assert len(memberships.list_user_group_memberships(deps, admin_call, of_admin).items) == 1
