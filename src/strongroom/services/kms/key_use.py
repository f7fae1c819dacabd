"""Resolving a key for a cryptographic operation: states checked, material opened."""

from __future__ import annotations

import json
from dataclasses import dataclass

from strongroom.domain.errors import IncorrectState, InvalidParameter, NotFound
from strongroom.domain.key import Key, KeyVersion, ProtectionMode
from strongroom.domain.lifecycle import State
from strongroom.domain.vault import Vault
from strongroom.services.caches import complete
from strongroom.services.context import Call
from strongroom.services.kms.keys import provider_for
from strongroom.services.lookup import NOT_FOUND, key_in_vault, version_of, visible_key
from strongroom.services.nonblocking import require_may_block
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "EXTERNAL_OPERATIONS",
    "MAX_PLAINTEXT",
    "UsableKey",
    "canonical_associated_data",
    "check_plaintext",
    "load_key_for_service",
    "stored_key",
    "use_key",
]

# OCI accepts at most 4 KB of plaintext (or of a RAW message to sign) per call.
MAX_PLAINTEXT = 4096


# What EXTERNAL keys can do: their material stays in the EKM, which only encrypts and decrypts.
EXTERNAL_OPERATIONS = frozenset(
    {"Encrypt", "Decrypt", "GenerateDataEncryptionKey", "GenerateAndExportDataKey"}
)


@dataclass(frozen=True)
class UsableKey:
    """A key version ready for one operation; ``material`` exists only in memory.

    EXTERNAL keys have no material here (empty): their operations go to the vault's EKM.
    """

    key: Key
    version: KeyVersion
    material: bytes
    vault: Vault


def use_key(
    deps: Deps,
    call: Call,
    vault_id: str,
    key_id: str,
    version_id: str | None,
    operation: str,
) -> UsableKey:
    """Authorize ``operation`` and check that vault, key and version may be used now.

    The rows come from ``deps.keys_in_use`` when there (see :func:`_rows`); the checks, which
    are :func:`~strongroom.services.lookup.key_for`'s and ``version_for``'s, run every time.
    """
    key_row, vault_row, version_row = _rows(deps, key_id, version_id)
    key = visible_key(deps, call, vault_id, key_row, operation)
    if key.is_external and operation not in EXTERNAL_OPERATIONS:
        raise InvalidParameter(
            f"{operation} is not supported for EXTERNAL keys: their material stays in the "
            "external key manager, which only encrypts and decrypts"
        )
    return _usable(deps, key, vault_row, version_row)


def stored_key(deps: Deps, key_id: str) -> Key | None:
    """The key row of ``key_id`` as stored (from the cache crypto calls use), unchecked and
    unauthorized: for finding where a key named by id alone lives."""
    key_row, _, _ = _rows(deps, key_id, None)
    return key_row


def load_key_for_service(
    deps: Deps,
    tenancy_id: str,
    key_id: str,
    version_id: str | None,
    tx: Transaction | None = None,
) -> UsableKey:
    """A key version the service uses on a caller's behalf (secret envelopes), unauthorized.

    The caller was authorized for the operation that needs the key (CreateSecret,
    GetSecretBundle), not for the key itself. The state checks are :func:`use_key`'s. Inside
    a write transaction pass it as ``tx``: rows not in the cache are then read through it
    rather than through a second connection.
    """
    if tx is None:
        key_row, vault_row, version_row = _rows(deps, key_id, version_id)
    else:
        key_row, vault_row, version_row = _rows_in(deps, tx, key_id, version_id)
    if key_row is None or key_row.tenancy_id != tenancy_id:
        raise NotFound(NOT_FOUND)
    if key_row.is_external:
        raise IncorrectState("EXTERNAL keys cannot protect secrets")
    return _usable(deps, key_row, vault_row, version_row)


def _usable(
    deps: Deps, key: Key, vault_row: Vault | None, version_row: KeyVersion | None
) -> UsableKey:
    """Check that vault, key and version may be used now, and open the material."""
    vault, key = key_in_vault(deps, key, vault_row)
    version = version_of(deps, key, version_row)
    if vault.lifecycle_state is not State.ACTIVE:
        raise IncorrectState(
            f"The key's vault is {vault.lifecycle_state.value}; keys in it cannot be used",
            vault.lifecycle_state.value,
        )
    if key.lifecycle_state is not State.ENABLED:
        raise IncorrectState(
            f"The key is {key.lifecycle_state.value}; only ENABLED keys can be used",
            key.lifecycle_state.value,
        )
    if version.lifecycle_state is not State.ENABLED:
        raise IncorrectState(
            f"The key version is {version.lifecycle_state.value}; it cannot be used",
            version.lifecycle_state.value,
        )
    if key.is_external:
        return UsableKey(key, version, b"", vault)  # the EKM is called asynchronously
    if key.protection_mode is not ProtectionMode.SOFTWARE or not key.shape.is_symmetric:
        # Material outside this process, or private-key operations of a millisecond or more.
        require_may_block()
    material = provider_for(deps, key.protection_mode).material(version.material, version.id)
    return UsableKey(key, version, material, vault)


_Rows = tuple[Key | None, Vault | None, KeyVersion | None]


def _rows(deps: Deps, key_id: str, version_id: str | None) -> _Rows:
    """The stored key, its vault and the version (current when None), as loaded, unchecked.

    Cached briefly: every write to vaults, keys or versions in this process clears the cache
    at once (``Database.add_change_listener``), and other processes' writes are seen within
    the cache's TTL. Incomplete results (something missing) are not cached.
    """
    rows: _Rows = deps.keys_in_use.fetch(
        _cache_name(key_id, version_id),
        lambda: _load_rows(deps, key_id, version_id),
        complete,
    )
    return rows


def _load_rows(deps: Deps, key_id: str, version_id: str | None) -> _Rows:
    vault = version = None
    with deps.db.transaction(read_only=True) as tx:
        key = tx.keys.get(key_id)
        if key is not None:
            vault = tx.vaults.get(key.vault_id)
            version = tx.keys.get_version(version_id or key.current_version_id)
    return key, vault, version


def _cache_name(key_id: str, version_id: str | None) -> str:
    return f"{key_id} {version_id or ''}"


def _rows_in(deps: Deps, tx: Transaction, key_id: str, version_id: str | None) -> _Rows:
    """:func:`_rows` from the cache, or else read through ``tx`` (and not cached)."""
    cached: _Rows | None = deps.keys_in_use.get(_cache_name(key_id, version_id))
    if cached is not None:
        return cached
    key = tx.keys.get(key_id)
    if key is None:
        return None, None, None
    return (
        key,
        tx.vaults.get(key.vault_id),
        tx.keys.get_version(version_id or key.current_version_id),
    )


def canonical_associated_data(associated: dict[str, str] | None) -> bytes:
    """A stable byte form of OCI's associatedData map, bound into the AEAD."""
    if not associated:
        return b""
    return json.dumps(associated, sort_keys=True, separators=(",", ":")).encode("utf-8")


def check_plaintext(plaintext: bytes, field: str = "plaintext") -> None:
    """OCI accepts at most 4 KB of plaintext per call."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise InvalidParameter(f"{field} must be at most {MAX_PLAINTEXT} bytes")
