"""Key policy actions: SetKeyPolicy and GetKeyPolicy over services.kms.key_policies.

``Policy`` is the JSON document (at most 32,768 bytes; both SDKs send it in the query string,
percent-encoded: see :mod:`strongroom.http_protocol` for the listener's side), ``PolicyName``
is ``default`` if given. CreateKey's ``Policy`` is read by :mod:`.keys` with
:func:`policy_param`. The document's format and how it decides: ARCHITECTURE.md ("Key
policies").
"""

from __future__ import annotations

from typing import Any

from strongroom.api.alibaba.action import Action
from strongroom.api.alibaba.errors import MissingParameter
from strongroom.api.alibaba.params import Params
from strongroom.iam.key_policy import MAX_POLICY_BYTES, POLICY_NAME
from strongroom.services.context import Call
from strongroom.services.kms import key_policies
from strongroom.services.kms.key_places import place_of_key
from strongroom.services.ports import Deps

__all__ = ["ACTIONS", "get_key_policy", "policy_param", "set_key_policy"]

# Read up to this many characters: over MAX_POLICY_BYTES the use case says so, in bytes.
_READ_AT_MOST = 4 * MAX_POLICY_BYTES


def policy_param(p: Params) -> str | None:
    """The ``Policy`` parameter (None when absent or empty), not yet checked."""
    return p.optional("Policy", _READ_AT_MOST) or None


def set_key_policy(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    place = place_of_key(deps, call, p.text("KeyId", 255))
    document = policy_param(p)
    if document is None:
        raise MissingParameter("Policy")
    request = key_policies.SetKeyPolicyRequest(
        key_id=place.key_id,
        policy=document,
        policy_name=p.optional("PolicyName", 128) or POLICY_NAME,
    )
    key_policies.set_key_policy(deps, call, request)
    return {}


def get_key_policy(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    place = place_of_key(deps, call, p.text("KeyId", 255))
    request = key_policies.GetKeyPolicyRequest(
        key_id=place.key_id, policy_name=p.optional("PolicyName", 128) or POLICY_NAME
    )
    found = key_policies.get_key_policy(deps, call, request)
    return {"Policy": found.document, "PolicyName": found.policy_name}


ACTIONS = [
    Action("SetKeyPolicy", set_key_policy),
    Action("GetKeyPolicy", get_key_policy, changes_state=False),
]
