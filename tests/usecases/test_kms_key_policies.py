"""Key policies through the use cases (the Alibaba KMS API's SetKeyPolicy, GetKeyPolicy and
CreateKey ``Policy``), on SQLite and PostgreSQL: the default policy, what is refused (nothing
stored), and the policy deciding beside IAM for every call on its key, whatever API made it:
a Deny refuses a caller IAM allows, an Allow lets in a caller IAM does not, an IAM Deny still
wins, and another tenancy's user gets in only when both its IAM and the key policy allow."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from strongroom.domain.errors import IncorrectState, InvalidParameter, NotAuthorized, NotFound
from strongroom.domain.identity import User
from strongroom.domain.key import Key, KeyVersion, ProtectionMode, make_shape
from strongroom.domain.vault import Vault
from strongroom.iam.key_policy import MAX_POLICY_BYTES, default_policy
from strongroom.services.context import Call
from strongroom.services.identity import users
from strongroom.services.identity.bootstrap import ensure_tenancy, new_admin_identity
from strongroom.services.kms import key_policies, keys
from strongroom.services.kms.key_places import place_of_key
from strongroom.services.kms.key_policies import GetKeyPolicyRequest, SetKeyPolicyRequest
from strongroom.services.ports import Deps
from tests.usecases import support
from tests.usecases.identity_support import api_key_pem, call_of, grant, new_group, new_user
from tests.usecases.kms_support import decrypt, encrypt

NewVault = Callable[..., Vault]
NewAesKey = Callable[..., tuple[Key, KeyVersion]]


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "1", "Statement": list(statements)})


def _allow(principal: str, *actions: str, effect: str = "Allow") -> dict[str, Any]:
    return {
        "Effect": effect,
        "Principal": {"RAM": [principal]},
        "Action": list(actions),
        "Resource": ["*"],
    }


def _deny(principal: str, *actions: str) -> dict[str, Any]:
    return _allow(principal, *actions, effect="Deny")


def _user_arn(key: Key, user: str) -> str:
    return f"acs:ram::{key.tenancy_id}:user/{user}"


def _set(deps: Deps, call: Call, key: Key, document: str, name: str = "default") -> None:
    request = SetKeyPolicyRequest(key_id=key.id, policy=document, policy_name=name)
    key_policies.set_key_policy(deps, call, request)


def _get(deps: Deps, call: Call, key: Key) -> str:
    return key_policies.get_key_policy(deps, call, GetKeyPolicyRequest(key_id=key.id)).document


def _get_key(deps: Deps, call: Call, key: Key) -> Key:
    return keys.get_key(deps, call, keys.GetKeyRequest(vault_id=key.vault_id, key_id=key.id))


def _enable(deps: Deps, call: Call, key: Key) -> None:
    keys.enable_key(deps, call, keys.EnableKeyRequest(vault_id=key.vault_id, key_id=key.id))


# --- set, get, the default -----------------------------------------------------------------


def test_a_new_key_has_the_default_policy_and_takes_a_new_one(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    assert _get(deps, admin_call, key) == default_policy(key.tenancy_id)
    document = _document(
        _allow(f"acs:ram::{key.tenancy_id}:*", "kms:*"),
        _allow(_user_arn(key, admin_call.principal.user_id), "kms:Encrypt", "kms:Decrypt"),
    )
    _set(deps, admin_call, key, document)
    assert _get(deps, admin_call, key) == document  # as written, spacing and all
    view = key_policies.get_key_policy(deps, admin_call, GetKeyPolicyRequest(key_id=key.id))
    assert (view.key_id, view.policy_name) == (key.id, "default")


def test_a_32_kb_policy_is_kept_and_one_byte_more_is_refused(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    head = _document(_allow(f"acs:ram::{key.tenancy_id}:*", "kms:*"))
    largest = head + " " * (MAX_POLICY_BYTES - len(head))
    _set(deps, admin_call, key, largest)
    assert _get(deps, admin_call, key) == largest
    other, _ = new_aes_key(new_vault())
    with pytest.raises(InvalidParameter, match="at most 32768 bytes"):
        _set(deps, admin_call, other, largest + " ")
    assert _get(deps, admin_call, other) == default_policy(other.tenancy_id)  # nothing stored


@pytest.mark.parametrize(
    ("document", "why"),
    [
        ('{"Version": "1", "Statement": [', "not valid JSON"),
        (_document(_allow("acs:ram::ocid1.tenancy.oc1..x:*", "kms:Teleport")), "unknown action"),
        (
            _document(_allow("acs:ram::ocid1.tenancy.oc1..x:*", "kms:*", effect="Maybe")),
            "Effect must be Allow or Deny",
        ),
        (_document(_allow("acs:ram::ocid1.tenancy.oc1..x:role/ops", "kms:*")), "RAM role"),
    ],
)
def test_bad_policies_are_refused_and_nothing_is_stored(
    deps: Deps,
    admin_call: Call,
    new_vault: NewVault,
    new_aes_key: NewAesKey,
    document: str,
    why: str,
) -> None:
    key, _ = new_aes_key(new_vault())
    with pytest.raises(InvalidParameter, match=why):
        _set(deps, admin_call, key, document)
    assert _get(deps, admin_call, key) == default_policy(key.tenancy_id)


def test_a_policy_name_other_than_default_is_refused(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    document = _document(_allow(f"acs:ram::{key.tenancy_id}:*", "kms:*"))
    with pytest.raises(InvalidParameter, match="PolicyName must be 'default'"):
        _set(deps, admin_call, key, document, name="mine")
    with pytest.raises(InvalidParameter, match="PolicyName"):
        key_policies.get_key_policy(
            deps, admin_call, GetKeyPolicyRequest(key_id=key.id, policy_name="mine")
        )
    assert _get(deps, admin_call, key) == default_policy(key.tenancy_id)


def test_users_must_exist_and_names_bind_to_the_user_of_the_moment(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    with pytest.raises(InvalidParameter, match="names no user of the key's tenancy"):
        _set(deps, admin_call, key, _document(_allow(_user_arn(key, "nobody-here"), "kms:*")))
    with pytest.raises(InvalidParameter, match="names no user"):
        _set(
            deps,
            admin_call,
            key,
            _document(_allow(_user_arn(key, "ocid1.user.oc1..gone"), "kms:*")),
        )
    away = "ocid1.tenancy.oc1..aaaaaaaaelsewhere"
    with pytest.raises(InvalidParameter, match="by its OCID"):
        _set(deps, admin_call, key, _document(_allow(f"acs:ram::{away}:user/bob", "kms:*")))
    assert _get(deps, admin_call, key) == default_policy(key.tenancy_id)
    # A user named by name gets in: the name is bound to its OCID, stored beside the text.
    user = new_user(deps, admin_call)
    _set(deps, admin_call, key, _document(_allow(_user_arn(key, user.name), "kms:Encrypt")))
    encrypt(deps, call_of(deps, user), key, b"hello")
    with deps.db.transaction(read_only=True) as tx:
        stored = tx.key_policies.get(key.id)
    assert stored is not None and stored.bindings == {user.name: user.id}
    # Once deleted, it is no one's name: the policy can no longer be set naming it.
    users.delete_user(deps, admin_call, users.DeleteUserRequest(user.id))
    with pytest.raises(InvalidParameter, match="names no user"):
        _set(deps, admin_call, key, _document(_allow(_user_arn(key, user.name), "kms:*")))


def test_a_policy_denying_its_setter_set_key_policy_is_refused(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    for actions in (("kms:*",), ("kms:Set*",), ("kms:SetKeyPolicy",)):
        document = _document(_deny(f"acs:ram::{key.tenancy_id}:*", *actions))
        with pytest.raises(InvalidParameter, match="would deny you kms:SetKeyPolicy"):
            _set(deps, admin_call, key, document)
    assert _get(deps, admin_call, key) == default_policy(key.tenancy_id)
    # Denying others, or the setter something else, is fine.
    _set(deps, admin_call, key, _document(_deny(f"acs:ram::{key.tenancy_id}:*", "kms:Decrypt")))


def test_a_key_pending_deletion_takes_no_new_policy_but_shows_its_own(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    request = keys.ScheduleKeyDeletionRequest(vault_id=key.vault_id, key_id=key.id)
    keys.schedule_key_deletion(deps, admin_call, request)
    document = _document(_allow(f"acs:ram::{key.tenancy_id}:*", "kms:*"))
    with pytest.raises(IncorrectState, match="PENDING_DELETION"):
        _set(deps, admin_call, key, document)
    assert _get(deps, admin_call, key) == default_policy(key.tenancy_id)


def test_create_key_stores_its_policy_or_makes_no_key(
    deps: Deps, admin_call: Call, new_vault: NewVault
) -> None:
    vault = new_vault()
    tenancy = admin_call.principal.tenancy_id
    document = _document(_allow(f"acs:ram::{tenancy}:user/{admin_call.principal.user_id}", "kms:*"))
    made = keys.create_key(deps, admin_call, _create_request(vault, document)).key
    assert _get(deps, admin_call, made) == document
    for bad in ("{", _document(_allow(f"acs:ram::{tenancy}:user/nobody-here", "kms:*"))):
        with pytest.raises(InvalidParameter):
            keys.create_key(deps, admin_call, _create_request(vault, bad))
    listed = keys.list_keys(
        deps, admin_call, keys.ListKeysRequest(vault_id=vault.id, compartment_id=tenancy)
    )
    assert [k.id for k in listed.items] == [made.id]  # the refused ones made no key


def _create_request(vault: Vault, document: str) -> keys.CreateKeyRequest:
    return keys.CreateKeyRequest(
        vault_id=vault.id,
        compartment_id=vault.compartment_id,
        display_name=f"key-{uuid.uuid4().hex[:8]}",
        key_shape=make_shape("AES", 32, None),
        protection_mode=ProtectionMode.SOFTWARE,
        key_policy=document,
    )


# --- deciding beside IAM -------------------------------------------------------------------


def test_a_deny_in_the_key_policy_refuses_a_caller_iam_allows(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    user = new_user(deps, admin_call)
    group = new_group(deps, admin_call, user)
    grant(deps, admin_call, f"Allow group {group.name} to manage keys in tenancy")
    caller = call_of(deps, user)
    sealed = encrypt(deps, caller, key, b"secret").ciphertext
    _set(
        deps,
        admin_call,
        key,
        _document(_deny(_user_arn(key, user.id), "kms:Decrypt", "kms:Enable*")),
    )
    with pytest.raises(NotAuthorized):
        decrypt(deps, caller, key, sealed)
    with pytest.raises(NotAuthorized):
        _enable(deps, caller, key)
    encrypt(deps, caller, key, b"still allowed")  # what the Deny does not name
    assert _get_key(deps, caller, key).id == key.id
    # The administrator (whom IAM allows everything) is refused too when the Deny names all.
    _set(deps, admin_call, key, _document(_deny(f"acs:ram::{key.tenancy_id}:*", "kms:Decrypt")))
    with pytest.raises(NotAuthorized):
        decrypt(deps, admin_call, key, sealed)


def test_an_allow_in_the_key_policy_lets_in_a_caller_iam_does_not_allow(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    other, _ = new_aes_key(new_vault())
    user = new_user(deps, admin_call)
    caller = call_of(deps, user)
    with pytest.raises(NotAuthorized):
        encrypt(deps, caller, key, b"x")
    _set(
        deps,
        admin_call,
        key,
        _document(_allow(_user_arn(key, user.id), "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey")),
    )
    sealed = encrypt(deps, caller, key, b"x").ciphertext  # at once: the cache was dropped
    assert decrypt(deps, caller, key, sealed).plaintext == b"x"
    assert _get_key(deps, caller, key).id == key.id
    with pytest.raises(NotAuthorized):
        _enable(deps, caller, key)  # not granted
    with pytest.raises(NotAuthorized):
        encrypt(deps, caller, other, b"x")  # another key: its own policy, the default
    # Found by id alone (the Alibaba API's KeyId) as well.
    assert place_of_key(deps, caller, key.id).key_id == key.id


def test_an_iam_deny_wins_over_a_key_policy_allow(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    user = new_user(deps, admin_call)
    group = new_group(deps, admin_call, user)
    _set(deps, admin_call, key, _document(_allow(_user_arn(key, user.id), "kms:*")))
    encrypt(deps, call_of(deps, user), key, b"x")
    grant(deps, admin_call, f"Deny group {group.name} to {{KEY_ENCRYPT}} in tenancy")
    with pytest.raises(NotAuthorized):
        encrypt(deps, call_of(deps, user), key, b"x")


# --- another tenancy ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Away:
    """Another tenancy: its administrator, and a user there IAM may grant to."""

    admin: Call
    user: User

    def call(self, deps: Deps) -> Call:
        return call_of(deps, self.user)


def _away(deps: Deps) -> _Away:
    identity = new_admin_identity(
        deps, f"away-{uuid.uuid4().hex[:8]}", f"admin-{uuid.uuid4().hex[:8]}", api_key_pem()
    )
    ensure_tenancy(deps, identity)
    admin = support.admin_call(deps, identity)
    return _Away(admin, new_user(deps, admin))


def test_another_tenancy_needs_both_its_iam_and_the_key_policy(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    sealed = encrypt(deps, admin_call, key, b"shared").ciphertext
    away = _away(deps)
    away_tenancy = away.admin.principal.tenancy_id
    arn = f"acs:kms:{deps.region}:{key.tenancy_id}:key/{key.id}"
    # The default policy: no one of another tenancy, whatever its IAM says.
    for caller in (away.admin, away.call(deps)):
        with pytest.raises(NotFound):
            encrypt(deps, caller, key, b"x")
    # The key policy alone: its IAM does not allow yet.
    _set(
        deps,
        admin_call,
        key,
        _document(_allow(f"acs:ram::{away_tenancy}:user/{away.user.id}", "kms:*")),
    )
    with pytest.raises(NotAuthorized):
        encrypt(deps, away.call(deps), key, b"x")
    # Both: the user's IAM (in its own tenancy) allows using keys.
    group = new_group(deps, away.admin, away.user)
    grant(deps, away.admin, f"Allow group {group.name} to use keys in tenancy")
    caller = away.call(deps)
    assert decrypt(deps, caller, key, sealed).plaintext == b"shared"
    encrypt(deps, caller, key, b"theirs")
    assert place_of_key(deps, caller, arn).key_id == key.id  # named by its ARN
    with pytest.raises(NotFound):
        place_of_key(deps, caller, key.id)  # not by its bare id, as in Alibaba
    # Only a key user's actions, whatever the policy and IAM grant.
    for attempt in (
        lambda: _enable(deps, caller, key),
        lambda: _set(deps, caller, key, _document(_allow(f"acs:ram::{away_tenancy}:*", "kms:*"))),
        lambda: key_policies.get_key_policy(deps, caller, GetKeyPolicyRequest(key_id=key.id)),
    ):
        with pytest.raises(NotFound):
            attempt()
    # Their administrator is not the user the policy names (manage all-resources or not).
    with pytest.raises(NotAuthorized):
        encrypt(deps, away.admin, key, b"x")
    # The whole tenancy named: its administrator's IAM allows, so it gets in too.
    _set(deps, admin_call, key, _document(_allow(f"acs:ram::{away_tenancy}:*", "kms:Encrypt")))
    encrypt(deps, away.admin, key, b"x")
    with pytest.raises(NotAuthorized):
        decrypt(deps, away.admin, key, sealed)  # Encrypt only
    # A Deny of its own tenancy's IAM still wins.
    grant(deps, away.admin, f"Deny group {group.name} to {{KEY_ENCRYPT}} in tenancy")
    _set(deps, admin_call, key, _document(_allow(f"acs:ram::{away_tenancy}:*", "kms:*")))
    with pytest.raises(NotAuthorized):
        encrypt(deps, away.call(deps), key, b"x")
