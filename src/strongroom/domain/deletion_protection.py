"""Deletion protection of keys: naming a key by its Alibaba resource ARN, the description's
limit, and the refusal while protection is on. Pure."""

from __future__ import annotations

from typing import NamedTuple

from strongroom.domain.errors import DeletionProtected, InvalidParameter
from strongroom.domain.ids import ocid_type
from strongroom.domain.key import Key

__all__ = [
    "MAX_DESCRIPTION",
    "KeyArn",
    "check_description",
    "parse_key_arn",
    "require_unprotected",
]

MAX_DESCRIPTION = 256  # characters (Strongroom's limit: the description is shown in refusals)
_ARN_SHAPE = "acs:kms:<region>:<tenancy OCID>:key/<key OCID>"


class KeyArn(NamedTuple):
    """What a key's resource ARN ``acs:kms:<region>:<tenancy OCID>:key/<key OCID>`` names."""

    region: str
    tenancy_id: str
    key_id: str


def parse_key_arn(arn: str) -> KeyArn:
    """The region, tenancy and key an ARN names; InvalidParameter when it is not a key's ARN."""
    parts = arn.split(":")
    if len(parts) != 5 or parts[0] != "acs" or parts[1] != "kms":
        raise InvalidParameter(f"ProtectedResourceArn must be {_ARN_SHAPE}")
    _, _, region, tenancy_id, resource = parts
    kind, _, key_id = resource.partition("/")
    if not region or ocid_type(tenancy_id) != "tenancy":
        raise InvalidParameter(f"ProtectedResourceArn must be {_ARN_SHAPE}")
    if kind != "key" or ocid_type(key_id) != "key":
        raise InvalidParameter(f"ProtectedResourceArn must name a key: {_ARN_SHAPE}")
    return KeyArn(region, tenancy_id, key_id)


def check_description(description: str | None) -> str | None:
    """The description as stored (None when empty); InvalidParameter when too long."""
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise InvalidParameter(
            f"DeletionProtectionDescription must be at most {MAX_DESCRIPTION} characters"
        )
    return description or None


def require_unprotected(key: Key) -> None:
    """Raise DeletionProtected while ``key`` has deletion protection on."""
    if not key.deletion_protection:
        return
    why = f" ({key.deletion_protection_description})" if key.deletion_protection_description else ""
    raise DeletionProtected(f"Key {key.id} has deletion protection on{why}; turn it off first")
