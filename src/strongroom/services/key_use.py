"""Resolving a key for a cryptographic operation: states checked, material opened."""

from __future__ import annotations

import json
from dataclasses import dataclass

from strongroom.domain.errors import IncorrectState, InvalidParameter
from strongroom.domain.key import Key, KeyVersion
from strongroom.domain.lifecycle import State
from strongroom.services.context import Call
from strongroom.services.keys import provider_for
from strongroom.services.lookup import key_for, version_for
from strongroom.services.ports import Deps

MAX_PLAINTEXT = 4096


@dataclass(frozen=True)
class UsableKey:
    """A key version ready for one operation; ``material`` exists only in memory."""

    key: Key
    version: KeyVersion
    material: bytes


def use_key(
    deps: Deps,
    call: Call,
    vault_id: str,
    key_id: str,
    version_id: str | None,
    operation: str,
) -> UsableKey:
    """Authorize ``operation`` and check that vault, key and version may be used now."""
    with deps.db.transaction() as tx:
        vault, key = key_for(deps, tx, call, vault_id, key_id, operation)
        version = version_for(deps, tx, key, version_id or key.current_version_id)
    if vault.lifecycle_state is not State.ACTIVE:
        raise IncorrectState(
            f"The key's vault is {vault.lifecycle_state.value}; keys in it cannot be used"
        )
    if key.lifecycle_state is not State.ENABLED:
        raise IncorrectState(
            f"The key is {key.lifecycle_state.value}; only ENABLED keys can be used"
        )
    if version.lifecycle_state is not State.ENABLED:
        raise IncorrectState(
            f"The key version is {version.lifecycle_state.value}; it cannot be used"
        )
    material = provider_for(deps, key.protection_mode).material(version.material, version.id)
    return UsableKey(key, version, material)


def canonical_associated_data(associated: dict[str, str] | None) -> bytes:
    """A stable byte form of OCI's associatedData map, bound into the AEAD."""
    if not associated:
        return b""
    return json.dumps(associated, sort_keys=True, separators=(",", ":")).encode("utf-8")


def check_plaintext(plaintext: bytes, field: str = "plaintext") -> None:
    """OCI accepts at most 4 KB of plaintext per call."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise InvalidParameter(f"{field} must be at most {MAX_PLAINTEXT} bytes")
