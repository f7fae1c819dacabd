"""Customer secret keys through the use cases: two per user, the secret answered once and stored
sealed, every user managing their own, and ``access_secret_for`` (what HMAC-signed APIs use)
following every change at once."""

from __future__ import annotations

import pytest

from strongroom.domain.errors import (
    InvalidParameter,
    LimitExceeded,
    NotAuthorized,
    NotFound,
    StorageIntegrityError,
)
from strongroom.domain.identity import User
from strongroom.services.context import Call
from strongroom.services.identity import customer_secret_keys as csk
from strongroom.services.identity import memberships, users
from strongroom.services.identity.access_secrets import access_secret_for, secret_identity
from strongroom.services.identity.common import Deleted
from strongroom.services.ports import Deps
from tests.usecases.identity_support import call_of, grant, new_group, new_user


def _create(deps: Deps, call: Call, user: User, name: str = "ci") -> csk.CreatedCustomerSecretKey:
    request = csk.CreateCustomerSecretKeyRequest(user.id, name)
    return csk.create_customer_secret_key(deps, call, request)


def _listed(deps: Deps, call: Call, user: User) -> set[str]:
    found = csk.list_customer_secret_keys(deps, call, csk.ListCustomerSecretKeysRequest(user.id))
    return {k.id for k in found.items}


def _delete(deps: Deps, call: Call, user: User, key_id: str) -> Deleted:
    request = csk.DeleteCustomerSecretKeyRequest(user.id, key_id)
    return csk.delete_customer_secret_key(deps, call, request)


def test_at_most_two_keys_per_user(deps: Deps, admin_call: Call) -> None:
    user = new_user(deps, admin_call)
    first, second = _create(deps, admin_call, user), _create(deps, admin_call, user)
    assert (first.key.user_id, first.key.lifecycle_state) == (user.id, "ACTIVE")
    assert first.key.id.startswith("ocid1.credential.")
    assert len(first.secret) == 40 and first.secret != second.secret
    assert "secret" not in repr(first)
    with pytest.raises(LimitExceeded, match="at most 2 customer secret keys"):
        _create(deps, admin_call, user)
    assert _listed(deps, admin_call, user) == {first.key.id, second.key.id}

    assert _delete(deps, admin_call, user, first.key.id) == Deleted(first.key.id)
    with pytest.raises(NotFound):
        _delete(deps, admin_call, user, first.key.id)
    third = _create(deps, admin_call, user)
    assert _listed(deps, admin_call, user) == {second.key.id, third.key.id}


def test_the_secret_is_stored_sealed_under_its_row(deps: Deps, admin_call: Call) -> None:
    user = new_user(deps, admin_call)
    made = _create(deps, admin_call, user)
    with deps.db.transaction(read_only=True) as tx:
        stored = tx.identity.secret_keys.get(made.key.id)
    assert stored is not None
    assert made.secret.encode() not in stored.sealed_secret
    assert deps.barrier.open(stored.sealed_secret, secret_identity(made.key)) == (
        made.secret.encode()
    )
    other = _create(deps, admin_call, user).key
    with pytest.raises(StorageIntegrityError):
        deps.barrier.open(stored.sealed_secret, secret_identity(other))


def test_rename_keeps_the_secret(deps: Deps, admin_call: Call) -> None:
    user = new_user(deps, admin_call)
    made = _create(deps, admin_call, user, "before")
    rename = csk.UpdateCustomerSecretKeyRequest(user.id, made.key.id, "after")
    assert csk.update_customer_secret_key(deps, admin_call, rename).display_name == "after"
    unchanged = csk.UpdateCustomerSecretKeyRequest(user.id, made.key.id, None)
    assert csk.update_customer_secret_key(deps, admin_call, unchanged).display_name == "after"
    found = access_secret_for(deps, made.key.id)
    assert found is not None and found.secret == made.secret.encode()


@pytest.mark.parametrize("name", ["", "x" * 401, "tab\there", None, 7])
def test_display_names_are_checked(name: object) -> None:
    with pytest.raises(InvalidParameter, match="displayName"):
        csk.display_name(name)


def test_unknown_and_deleted_users_and_keys_are_not_found(deps: Deps, admin_call: Call) -> None:
    user = new_user(deps, admin_call)
    missing = user.id[:-4] + "zzzz"
    with pytest.raises(NotFound):
        csk.create_customer_secret_key(
            deps, admin_call, csk.CreateCustomerSecretKeyRequest(missing, "x")
        )
    made = _create(deps, admin_call, user)
    someone_else = new_user(deps, admin_call)
    with pytest.raises(NotFound):
        _delete(deps, admin_call, someone_else, made.key.id)  # not that user's key
    users.delete_user(deps, admin_call, users.DeleteUserRequest(user.id))
    with pytest.raises(NotFound):
        _listed(deps, admin_call, user)
    assert access_secret_for(deps, made.key.id) is None


def test_users_manage_their_own_keys_and_others_need_a_grant(deps: Deps, admin_call: Call) -> None:
    alice, bob = new_user(deps, admin_call), new_user(deps, admin_call)
    as_alice = call_of(deps, alice)
    own = _create(deps, as_alice, alice)
    assert as_alice.audit.decision == "allowed"
    assert _listed(deps, as_alice, alice) == {own.key.id}
    bobs = _create(deps, admin_call, bob)
    with pytest.raises(NotAuthorized):
        _create(deps, as_alice, bob)
    with pytest.raises(NotAuthorized):
        _listed(deps, as_alice, bob)
    with pytest.raises(NotAuthorized):
        _delete(deps, as_alice, bob, bobs.key.id)
    assert _delete(deps, as_alice, alice, own.key.id) == Deleted(own.key.id)

    managers = new_group(deps, admin_call, alice)
    grant(deps, admin_call, f"Allow group {managers.name} to manage users in tenancy")
    as_manager = call_of(deps, alice)
    assert _listed(deps, as_manager, bob) == {bobs.key.id}
    assert _delete(deps, as_manager, bob, bobs.key.id) == Deleted(bobs.key.id)


def test_access_secret_for_follows_every_change(deps: Deps, admin_call: Call) -> None:
    user = new_user(deps, admin_call)
    made = _create(deps, admin_call, user)
    found = access_secret_for(deps, made.key.id)
    assert found is not None
    assert (found.principal.user_id, found.principal.tenancy_id) == (user.id, user.tenancy_id)
    assert found.secret == made.secret.encode() and made.secret not in repr(found)
    assert found.principal.group_ids == frozenset()

    group = new_group(deps, admin_call, user)  # the cached principal is dropped at once
    regrouped = access_secret_for(deps, made.key.id)
    assert regrouped is not None and regrouped.principal.group_ids == {group.id}

    _delete(deps, admin_call, user, made.key.id)
    assert access_secret_for(deps, made.key.id) is None
    assert access_secret_for(deps, "ocid1.credential.oc1..unknown") is None
    assert access_secret_for(deps, "") is None
    assert access_secret_for(deps, "x" * 1000) is None
    of_group = memberships.ListUserGroupMembershipsRequest(user_id=user.id)
    assert len(memberships.list_user_group_memberships(deps, admin_call, of_group).items) == 1
