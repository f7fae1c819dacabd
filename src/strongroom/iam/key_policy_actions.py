"""The actions of key policies (the Alibaba KMS API's ``kms:...`` names), as data.

A key policy names actions as Alibaba's key policy roles do (REFERENCE.md, "Key policy
roles"): the administrators' entries (``kms:List*``, ``kms:Set*``...), the users' and
cross-tenancy users' (``kms:Encrypt``, ``kms:DescribeKey``...), or ``kms:*``. Strongroom
decides with its own operation names, whatever API a call came through (a key is one object),
so each operation that acts on a key maps here to the actions it needs (all of them):
Alibaba's own name where Alibaba has the operation (GetKey is ``kms:DescribeKey``, OCI's
GenerateDataEncryptionKey and Alibaba's GenerateDataKeyWithoutPlaintext are both
``kms:GenerateDataKey``), else a ``kms:`` name of its own that only the entries covering it
grant (OCI's ChangeKeyCompartment is ``kms:ChangeKeyCompartment``: only ``kms:*``).
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = [
    "ADMINISTRATOR_ENTRIES",
    "ALL_ACTIONS",
    "OPERATION_ACTIONS",
    "USER_ENTRIES",
    "actions_for",
    "covers",
    "is_known_entry",
    "is_user_action",
]

ALL_ACTIONS = "kms:*"
# The entries of Alibaba's key policy roles, as Alibaba writes them.
ADMINISTRATOR_ENTRIES = (
    "kms:List*",
    "kms:Describe*",
    "kms:Create*",
    "kms:Enable*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Set*",
    "kms:Update*",
    "kms:Delete*",
    "kms:Cancel*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ImportKeyMaterial",
    "kms:ScheduleKeyDeletion",
)
# Key users, and the only role principals of another tenancy may have.
USER_ENTRIES = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "kms:GenerateAndExportDataKey",
    "kms:AsymmetricEncrypt",
    "kms:AsymmetricDecrypt",
    "kms:DescribeKey",
    "kms:DescribeKeyVersion",
    "kms:ListKeyVersions",
    "kms:ListAliasesByKeyId",
    "kms:TagResource",
)

# Strongroom operation -> the key policy actions it needs on the key (all of them).
OPERATION_ACTIONS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "Encrypt": ("kms:Encrypt",),
        "Decrypt": ("kms:Decrypt",),
        "GenerateDataEncryptionKey": ("kms:GenerateDataKey",),
        "GenerateAndExportDataKey": ("kms:GenerateAndExportDataKey",),
        "Sign": ("kms:AsymmetricSign",),
        "Verify": ("kms:AsymmetricVerify",),
        "ExportKey": ("kms:ExportKey",),
        "GetKey": ("kms:DescribeKey",),
        "ListKeys": ("kms:ListKeys",),
        "UpdateKey": ("kms:UpdateKeyDescription",),
        "EnableKey": ("kms:EnableKey",),
        "DisableKey": ("kms:DisableKey",),
        "ScheduleKeyDeletion": ("kms:ScheduleKeyDeletion",),
        "CancelKeyDeletion": ("kms:CancelKeyDeletion",),
        "CreateKeyVersion": ("kms:CreateKeyVersion",),
        "GetKeyVersion": ("kms:DescribeKeyVersion",),
        "ListKeyVersions": ("kms:ListKeyVersions",),
        "ScheduleKeyVersionDeletion": ("kms:ScheduleKeyVersionDeletion",),
        "CancelKeyVersionDeletion": ("kms:CancelKeyVersionDeletion",),
        "ChangeKeyCompartment": ("kms:ChangeKeyCompartment",),
        "CreateAlias": ("kms:CreateAlias",),
        "UpdateAlias": ("kms:UpdateAlias",),
        "DeleteAlias": ("kms:DeleteAlias",),
        "ListAliasesByKeyId": ("kms:ListAliasesByKeyId",),
        "TagResource": ("kms:TagResource",),
        "UntagResource": ("kms:UntagResource",),
        "SetKeyPolicy": ("kms:SetKeyPolicy",),
        "GetKeyPolicy": ("kms:GetKeyPolicy",),
        "SetDeletionProtection": ("kms:SetDeletionProtection",),
        "ListKeyAssociations": ("kms:ListKeyAssociations",),
    }
)
# Operations that use a key on behalf of another resource (CreateSecret, a replica's apply)
# need, on the key, the action of each key permission they ask for.
_PERMISSION_ACTIONS = MappingProxyType(
    {"KEY_ENCRYPT": "kms:Encrypt", "KEY_DECRYPT": "kms:Decrypt", "KEY_READ": "kms:DescribeKey"}
)

_ENTRIES = frozenset(e.lower() for e in (*ADMINISTRATOR_ENTRIES, *USER_ENTRIES, ALL_ACTIONS))
_CONCRETE = frozenset(
    a.lower() for actions in OPERATION_ACTIONS.values() for a in actions
) | frozenset(a.lower() for a in _PERMISSION_ACTIONS.values())


def covers(entry: str, action: str) -> bool:
    """Whether a policy's (lower-case) action entry covers a (lower-case) action: equal, or
    a trailing ``*`` matching the rest (``kms:list*`` covers ``kms:listkeyversions``)."""
    if entry.endswith("*"):
        return action.startswith(entry[:-1])
    return entry == action


def _covered_by(action: str, entries: frozenset[str] | tuple[str, ...]) -> bool:
    return any(covers(entry, action) for entry in entries)


# Concrete actions a role's entries grant: what a policy may also name one by one.
_GRANTABLE = frozenset(a for a in _CONCRETE if _covered_by(a, _ENTRIES - {ALL_ACTIONS}))
_USER_ACTIONS = frozenset(e.lower() for e in USER_ENTRIES)  # none has a wildcard


def is_known_entry(entry: str) -> bool:
    """Whether a policy may name ``entry`` (any case): ``kms:*``, a role's entry, or an
    action one of those entries grants (``kms:EnableKey``, which ``kms:Enable*`` covers)."""
    lowered = entry.lower()
    return lowered in _ENTRIES or lowered in _GRANTABLE


def is_user_action(action: str) -> bool:
    """Whether the (lower-case) action is a key user's: the only actions a key policy may
    grant to principals of another tenancy."""
    return action in _USER_ACTIONS


def actions_for(operation: str, permissions: tuple[str, ...]) -> tuple[str, ...]:
    """The (lower-case) key policy actions ``operation`` needs on a key, when it asks for
    ``permissions`` there: the operation's own, else one per permission (an unknown one is
    ``kms:<operation>``, which only ``kms:*`` grants)."""
    own = OPERATION_ACTIONS.get(operation)
    if own is not None:
        return tuple(a.lower() for a in own)
    fallback = f"kms:{operation}"
    return tuple(_PERMISSION_ACTIONS.get(p, fallback).lower() for p in permissions)
