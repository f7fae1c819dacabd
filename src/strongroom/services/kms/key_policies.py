"""Key policies: SetKeyPolicy, GetKeyPolicy, and the policy CreateKey may give a new key.

A key's policy is a JSON document in Alibaba's format (:mod:`strongroom.iam.key_policy`), at
most 32 KB, named ``default``. A key without one has the default policy (every ``kms:`` action
to the key's tenancy, which leaves the decisions to IAM), which GetKeyPolicy shows. How a
policy takes part in authorizing every call on its key is :mod:`strongroom.services.key_access`.

When a policy is set, the user names it gives (``acs:ram::<tenancy>:user/<name>``, users of
the key's own tenancy only) are bound to the OCIDs they name then, and every user it names in
the key's tenancy must exist: the document is stored as written, with the bindings beside it.
A policy that would explicitly deny its setter ``kms:SetKeyPolicy`` is refused: a Deny no IAM
policy overrides would lock the key's policy for good.

SetKeyPolicy needs KEY_UPDATE (an administrator's ``kms:Set*``), GetKeyPolicy KEY_READ
(``kms:Get*``); the key must be ENABLED or DISABLED to take a new policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.errors import InvalidParameter
from strongroom.domain.key import Key
from strongroom.domain.key_policy import KeyPolicyRecord
from strongroom.domain.lifecycle import State, require_state
from strongroom.iam.key_policy import (
    POLICY_NAME,
    KeyPolicy,
    KeyPolicyError,
    default_policy,
    parse_key_policy,
)
from strongroom.iam.key_policy_actions import actions_for
from strongroom.iam.key_policy_eval import Effect, KeyPolicyQuestion, evaluate
from strongroom.services.context import Call
from strongroom.services.lookup import key_by_id
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "GetKeyPolicyRequest",
    "KeyPolicyView",
    "SetKeyPolicyRequest",
    "checked_policy",
    "get_key_policy",
    "new_key_policy",
    "set_key_policy",
]


@dataclass(frozen=True, kw_only=True)
class SetKeyPolicyRequest:
    """Input of SetKeyPolicy: the key (its OCID) and its new policy document."""

    key_id: str
    policy: str
    policy_name: str = POLICY_NAME


@dataclass(frozen=True, kw_only=True)
class GetKeyPolicyRequest:
    """Input of GetKeyPolicy."""

    key_id: str
    policy_name: str = POLICY_NAME


@dataclass(frozen=True)
class KeyPolicyView:
    """A key's policy: its name (``default``) and document (the default one when the key has
    none of its own)."""

    key_id: str
    policy_name: str
    document: str


def set_key_policy(deps: Deps, call: Call, request: SetKeyPolicyRequest) -> KeyPolicyView:
    """Replace the key's policy (checked, its user names bound; see the module)."""
    _check_name(request.policy_name)
    policy = checked_policy(request.policy)
    with deps.db.transaction() as tx:
        key = key_by_id(deps, tx, call, request.key_id, "SetKeyPolicy")
        require_state(key.lifecycle_state, (State.ENABLED, State.DISABLED), "key")
        tx.key_policies.put(_record(deps, tx, call, key, request.policy, policy))
    return KeyPolicyView(key.id, POLICY_NAME, request.policy)


def get_key_policy(deps: Deps, call: Call, request: GetKeyPolicyRequest) -> KeyPolicyView:
    """The key's policy, or the default one."""
    _check_name(request.policy_name)
    with deps.db.transaction(read_only=True) as tx:
        key = key_by_id(deps, tx, call, request.key_id, "GetKeyPolicy")
        record = tx.key_policies.get(key.id)
    document = record.document if record is not None else default_policy(key.tenancy_id)
    return KeyPolicyView(key.id, POLICY_NAME, document)


def checked_policy(document: str) -> KeyPolicy:
    """A document parsed and checked (InvalidParameter saying what is wrong); before anything
    is read or made, so a bad policy costs nothing."""
    try:
        return parse_key_policy(document)
    except KeyPolicyError as error:
        raise InvalidParameter(f"The key policy is invalid: {error.message}") from None


def new_key_policy(
    deps: Deps, tx: Transaction, call: Call, key: Key, document: str, policy: KeyPolicy
) -> None:
    """Store the policy CreateKey gives its new key (in the transaction that adds the key)."""
    tx.key_policies.put(_record(deps, tx, call, key, document, policy))


def _check_name(name: str) -> None:
    if name != POLICY_NAME:
        raise InvalidParameter(f"PolicyName must be {POLICY_NAME!r}: a key has one policy")


def _record(
    deps: Deps, tx: Transaction, call: Call, key: Key, document: str, policy: KeyPolicy
) -> KeyPolicyRecord:
    """The record to store: user names bound, users of the key's tenancy checked, and no
    Deny of ``kms:SetKeyPolicy`` to the caller."""
    bindings = _bindings(tx, key.tenancy_id, policy)
    _refuse_lockout(call, key, policy.bound(bindings))
    return KeyPolicyRecord(
        key_id=key.id,
        tenancy_id=key.tenancy_id,
        document=document,
        time_updated=deps.clock.now(),
        bindings=bindings,
    )


def _bindings(tx: Transaction, tenancy_id: str, policy: KeyPolicy) -> dict[str, str]:
    """Each user name of the key's tenancy bound to its OCID; InvalidParameter for a user the
    tenancy does not have, and for a user of another tenancy named by name."""
    users = [u for u in tx.iam.users(tenancy_id) if u.lifecycle_state != "DELETED"]
    by_name = {u.name: u.id for u in users}
    by_lower = {u.name.lower(): u.id for u in users}
    ids = {u.id for u in users}
    bindings: dict[str, str] = {}
    for statement in policy.statements:
        for principal in statement.principals:
            user = principal.user
            if user is None:
                continue
            if principal.tenancy_id != tenancy_id:
                if principal.names_user_by_name:
                    raise InvalidParameter(
                        f"The key policy is invalid: principal {principal.arn!r} names a user "
                        "of another tenancy by name; name it by its OCID"
                    )
                continue
            found = user if user in ids else by_name.get(user) or by_lower.get(user.lower())
            if found is None:
                raise InvalidParameter(
                    f"The key policy is invalid: principal {principal.arn!r} names no user "
                    "of the key's tenancy"
                )
            if principal.names_user_by_name:
                bindings[user] = found
    return bindings


def _refuse_lockout(call: Call, key: Key, policy: KeyPolicy) -> None:
    principal = call.principal
    question = KeyPolicyQuestion(
        tenancy_id=principal.tenancy_id,
        principal_id=principal.user_id,
        principal_type=principal.principal_type,
        key_tenancy_id=key.tenancy_id,
        actions=actions_for("SetKeyPolicy", ()),
        source_ip=call.source_ip,
    )
    if evaluate(policy, question) is Effect.DENY:
        raise InvalidParameter(
            "The key policy would deny you kms:SetKeyPolicy on this key, and no one could "
            "change it again; leave yourself out of that Deny"
        )
