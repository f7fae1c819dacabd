"""The action table: every action this dialect serves, by name."""

from __future__ import annotations

from strongroom.api.alibaba import (
    aliases,
    crypto,
    data_key_export,
    instances,
    key_policies,
    key_versions,
    keys,
    tagging,
)
from strongroom.api.alibaba.action import Action

__all__ = ["ACTIONS", "VERSION"]

VERSION = "2016-01-20"
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        *keys.ACTIONS,
        *crypto.ACTIONS,
        *instances.ACTIONS,
        *aliases.ACTIONS,
        *tagging.ACTIONS,
        *key_policies.ACTIONS,
        *key_versions.ACTIONS,
        *data_key_export.ACTIONS,
    )
}
