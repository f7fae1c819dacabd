"""Key actions: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
UpdateKeyDescription, ScheduleKeyDeletion, CancelKeyDeletion."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from strongroom.api.alibaba import xki
from strongroom.api.alibaba.action import Action
from strongroom.api.alibaba.errors import InvalidParameter, UnsupportedOperation
from strongroom.api.alibaba.key_policies import policy_param
from strongroom.api.alibaba.params import Params
from strongroom.api.alibaba.render import arn, key_metadata, key_state
from strongroom.api.alibaba.tags import tags_from_json
from strongroom.domain.errors import ExternalKeyPlacement
from strongroom.domain.key import Algorithm, Curve, KeyShape, ProtectionMode
from strongroom.services.context import Call
from strongroom.services.kms import key_associations, key_protection, keys
from strongroom.services.kms.key_places import list_tenancy_keys, place_of_key
from strongroom.services.kms.key_protection import SetDeletionProtectionRequest
from strongroom.services.ports import Deps

__all__ = [
    "ACTIONS",
    "UnsupportedOperation",
    "cancel_key_deletion",
    "create_key",
    "describe_key",
    "disable_key",
    "enable_key",
    "list_key_associations",
    "list_keys",
    "schedule_key_deletion",
    "set_deletion_protection",
    "update_key_description",
]

_SPECS = {
    "Aliyun_AES_256": KeyShape(Algorithm.AES, 32),
    "Aliyun_AES_192": KeyShape(Algorithm.AES, 24),
    "Aliyun_AES_128": KeyShape(Algorithm.AES, 16),
    "RSA_2048": KeyShape(Algorithm.RSA, 256),
    "RSA_3072": KeyShape(Algorithm.RSA, 384),
    "RSA_4096": KeyShape(Algorithm.RSA, 512),
    "EC_P256": KeyShape(Algorithm.ECDSA, 32, Curve.NIST_P256),
}
_USAGES = {
    Algorithm.AES: ("ENCRYPT/DECRYPT",),
    Algorithm.RSA: ("ENCRYPT/DECRYPT", "SIGN/VERIFY"),
    Algorithm.ECDSA: ("SIGN/VERIFY",),
}
_MODES = {"SOFTWARE": ProtectionMode.SOFTWARE, "HSM": ProtectionMode.HSM}
_FILTERS = ("KeyState", "KeySpec", "KeyUsage", "ProtectionLevel", "CreatorType")
MAX_DESCRIPTION = 8192


def create_key(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    spec = p.optional("KeySpec") or "Aliyun_AES_256"
    shape = _SPECS.get(spec)
    if shape is None:
        raise InvalidParameter("KeySpec", f"one of {', '.join(_SPECS)}")
    usage = p.optional("KeyUsage") or "ENCRYPT/DECRYPT"
    if usage not in _USAGES[shape.algorithm]:
        raise InvalidParameter(
            "KeyUsage", f"{spec} keys are {' or '.join(_USAGES[shape.algorithm])}"
        )
    external_id = xki.external_key_id(p, spec, usage)  # a key of an XKI instance
    _refuse_unsupported(p)
    mode = _MODES.get(p.optional("ProtectionLevel") or "SOFTWARE")
    if mode is None:
        raise InvalidParameter("ProtectionLevel", "SOFTWARE or HSM")
    request = keys.CreateKeyRequest(
        vault_id=p.text("DKMSInstanceId", 255),
        compartment_id=None,
        display_name=p.optional("Description", MAX_DESCRIPTION) or "",
        key_shape=shape,
        protection_mode=ProtectionMode.EXTERNAL if external_id else mode,
        external_key_id=external_id or None,
        freeform_tags=tags_from_json(p.json("Tags")),
        key_policy=policy_param(p),
    )
    try:
        created = keys.create_key(deps, call, request)
    except ExternalKeyPlacement as error:
        raise xki.placement_refused(error, request.vault_id, spec, usage) from None
    return {"KeyMetadata": key_metadata(created.key, deps.region)}


def _refuse_unsupported(p: Params) -> None:
    if (p.optional("Origin") or "Aliyun_KMS") != "Aliyun_KMS":
        raise UnsupportedOperation(
            "Origin EXTERNAL (importing key material) is not supported: keys are made here, "
            "or held in an external key manager through an XKI instance (ExternalKeyId)"
        )
    if p.boolean("EnableAutomaticRotation", False):
        raise UnsupportedOperation("Automatic rotation is not supported")


def describe_key(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    place = place_of_key(deps, call, p.text("KeyId", 255))
    key = keys.get_key(deps, call, keys.GetKeyRequest(vault_id=place.vault_id, key_id=place.key_id))
    return {"KeyMetadata": key_metadata(key, deps.region)}


def list_keys(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    number = p.integer("PageNumber", 1, 1, 1_000_000)
    size = p.integer("PageSize", 10, 1, 100)
    wanted = _filters(p.json("Filters", max_length=4096))
    found = [
        k
        for k in list_tenancy_keys(deps, call)
        if all(_facet(k, name) in values for name, values in wanted.items())
    ]
    page = found[(number - 1) * size : number * size]
    return {
        "Keys": {
            "Key": [{"KeyId": k.id, "KeyArn": arn(deps.region, k.tenancy_id, k.id)} for k in page]
        },
        "TotalCount": len(found),
        "PageNumber": number,
        "PageSize": size,
    }


def _filters(value: Any) -> dict[str, set[str]]:
    """``[{"Key": "KeyState", "Values": ["Enabled"]}, ...]``."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise InvalidParameter("Filters", 'a JSON list of {"Key", "Values"} objects')
    found: dict[str, set[str]] = {}
    for item in value:
        name = item.get("Key") if isinstance(item, dict) else None
        values = item.get("Values") if isinstance(item, dict) else None
        if name not in _FILTERS or not isinstance(values, list) or not values:
            raise InvalidParameter("Filters", f"each filter's Key is one of {', '.join(_FILTERS)}")
        found[str(name)] = {str(v) for v in values}
    return found


def _facet(key: Any, name: str) -> str:
    metadata = key_metadata(key, "")
    return "User" if name == "CreatorType" else str(metadata.get(name, ""))


def enable_key(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    place = place_of_key(deps, call, p.text("KeyId", 255))
    keys.enable_key(deps, call, keys.EnableKeyRequest(vault_id=place.vault_id, key_id=place.key_id))
    return {}


def disable_key(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    place = place_of_key(deps, call, p.text("KeyId", 255))
    request = keys.DisableKeyRequest(vault_id=place.vault_id, key_id=place.key_id)
    keys.disable_key(deps, call, request)
    return {}


def update_key_description(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    place = place_of_key(deps, call, p.text("KeyId", 255))
    description = p.optional("Description", MAX_DESCRIPTION)
    if description is None:
        raise InvalidParameter("Description", "is required")
    request = keys.UpdateKeyRequest(
        vault_id=place.vault_id, key_id=place.key_id, display_name=description
    )
    keys.update_key(deps, call, request)
    return {}


def schedule_key_deletion(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    place = place_of_key(deps, call, p.text("KeyId", 255))
    days = p.integer("PendingWindowInDays", -1, 7, 366)
    if days < 0:
        raise InvalidParameter("PendingWindowInDays", "is required (7 to 366)")
    when = deps.clock.now() + timedelta(days=days)
    request = keys.ScheduleKeyDeletionRequest(
        vault_id=place.vault_id,
        key_id=place.key_id,
        time_of_deletion=when,
        longest_days=366,
        # Strongroom's extension: without Force=true, a key protecting live secrets stays.
        refuse_if_protecting_secrets=not p.boolean("Force", False),
    )
    keys.schedule_key_deletion(deps, call, request)
    return {}


def set_deletion_protection(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    request = SetDeletionProtectionRequest.for_arn(
        p.text("ProtectedResourceArn", 1024),
        p.boolean("EnableDeletionProtection"),
        p.optional("DeletionProtectionDescription", 1024),
    )
    key_protection.set_deletion_protection(deps, call, request)
    return {}


def list_key_associations(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    """Strongroom's extension: what depends on a key before it is disabled or deleted."""
    place = place_of_key(deps, call, p.text("KeyId", 1024))
    request = key_associations.ListKeyAssociationsRequest(key_id=place.key_id)
    found = key_associations.list_key_associations(deps, call, request)
    secrets = [
        {
            "SecretId": s.id,
            "SecretName": s.name,
            "SecretState": s.lifecycle_state.value,
            "VersionCount": s.versions,
        }
        for s in found.secrets
    ]
    sharing = [
        {"KeyId": k.id, "KeyState": key_state(k.lifecycle_state)}
        for k in found.keys_sharing_external_key
    ]
    return {
        "KeyId": place.key_id,
        "Secrets": {"Secret": secrets},
        "KeysSharingExternalKey": {"Key": sharing},
    }


def cancel_key_deletion(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    place = place_of_key(deps, call, p.text("KeyId", 255))
    request = keys.CancelKeyDeletionRequest(vault_id=place.vault_id, key_id=place.key_id)
    keys.cancel_key_deletion(deps, call, request)
    return {}


_STATE_CHANGE = "Rejected.StateModifiedFailed"
ACTIONS = [
    Action("CreateKey", create_key, not_found="Forbidden.ResourceNotFound"),
    Action("DescribeKey", describe_key, changes_state=False),
    Action("ListKeys", list_keys, changes_state=False),
    Action("EnableKey", enable_key, state_error=_STATE_CHANGE),
    Action("DisableKey", disable_key, state_error=_STATE_CHANGE),
    Action("UpdateKeyDescription", update_key_description),
    Action("ScheduleKeyDeletion", schedule_key_deletion, state_error=_STATE_CHANGE),
    Action("CancelKeyDeletion", cancel_key_deletion, state_error=_STATE_CHANGE),
    Action("SetDeletionProtection", set_deletion_protection),
    Action("ListKeyAssociations", list_key_associations, changes_state=False),
]
