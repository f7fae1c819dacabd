"""Keys named without their vault, and keys of a whole tenancy.

OCI's KMS API always names a key's vault (its management endpoint); APIs that name a key by
its id alone (the Alibaba KMS API's ``KeyId``; a ciphertext blob that must say which key made
it) find the vault here. Nothing here authorizes the key itself: the use case the caller then
runs does, as for any other call.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto import ciphertext
from strongroom.domain.errors import DecryptionFailed, NotFound
from strongroom.domain.key import Key
from strongroom.domain.lifecycle import State
from strongroom.domain.vault import Vault
from strongroom.iam.operations import permissions_for
from strongroom.services.context import Call
from strongroom.services.kms.aliases import resolve_key_id
from strongroom.services.kms.key_use import stored_key
from strongroom.services.lookup import NOT_FOUND, as_of, key_as_of, key_target, vault_target
from strongroom.services.ports import Deps

__all__ = [
    "MAX_LISTED",
    "KeyPlace",
    "list_tenancy_keys",
    "list_tenancy_vaults",
    "place_of_ciphertext",
    "place_of_key",
    "version_of_ciphertext",
]

MAX_LISTED = 10_000  # keys of one tenancy a listing looks through
_ARN_PREFIX = "acs:kms:"


@dataclass(frozen=True)
class KeyPlace:
    """Where a key lives: its vault, and its id."""

    vault_id: str
    key_id: str


def place_of_key(deps: Deps, call: Call, key_ref: str) -> KeyPlace:
    """The vault of the key ``key_ref`` names: its id or an ``alias/`` name in the caller's
    tenancy, or its ARN ``acs:kms:<region>:<tenancy>:key/<key>`` (how a key of another
    tenancy is named, as in Alibaba; whether the caller may use it is its key policy's and
    IAM's to say, when the use case authorizes it); NotFound (AliasNotFound for an alias)
    otherwise. Reads the caches crypto calls use (may raise WouldBlock where blocking is
    forbidden)."""
    tenancy = call.principal.tenancy_id
    if key_ref.startswith(_ARN_PREFIX):
        tenancy, key_id = _named_by_arn(deps, key_ref)
    else:
        key_id = resolve_key_id(deps, tenancy, key_ref)
    key = stored_key(deps, key_id)
    if key is None or key.tenancy_id != tenancy:
        raise NotFound(NOT_FOUND)
    return KeyPlace(key.vault_id, key.id)


def _named_by_arn(deps: Deps, arn: str) -> tuple[str, str]:
    """The tenancy and key an ARN of this region names (NotFound for anything else)."""
    parts = arn.split(":")
    if len(parts) != 5 or parts[2] != deps.region or not parts[3]:
        raise NotFound(NOT_FOUND)
    kind, _, key_id = parts[4].partition("/")
    if kind != "key" or not key_id:
        raise NotFound(NOT_FOUND)
    return parts[3], key_id


def version_of_ciphertext(blob: bytes) -> str:
    """The key version a symmetric ciphertext names (DecryptionFailed if it names none)."""
    return ciphertext.unpack(blob).key_version_id


def place_of_ciphertext(deps: Deps, call: Call, blob: bytes) -> KeyPlace:
    """The key whose version made ``blob`` (a symmetric ciphertext names its key version);
    DecryptionFailed when the blob names none. The key may be another tenancy's: the decrypt
    that follows authorizes it (its key policy may open it to the caller)."""
    version_id = ciphertext.unpack(blob).key_version_id
    with deps.db.transaction(read_only=True) as tx:
        owner = tx.keys.version_owner(version_id)
    if owner is None:
        raise DecryptionFailed()
    return KeyPlace(owner[1], owner[2])


def list_tenancy_keys(deps: Deps, call: Call) -> list[Key]:
    """The tenancy's keys (every vault and compartment) the caller may list (KEY_INSPECT on
    each), oldest first; deleted keys are left out."""
    tenancy = call.principal.tenancy_id
    with deps.db.transaction(read_only=True) as tx:
        found = tx.keys.in_tenancy(tenancy, MAX_LISTED)
        vaults = {v: tx.vaults.get(v) for v in {k.vault_id for k in found}}
    now = deps.clock.now()
    visible = []
    for key in found:
        vault = vaults.get(key.vault_id)
        if vault is None:
            continue
        shown = key_as_of(key, vault, now)
        if shown.lifecycle_state is not State.DELETED and _may(deps, call, "ListKeys", key):
            visible.append(shown)
    return visible


def list_tenancy_vaults(deps: Deps, call: Call) -> list[Vault]:
    """The tenancy's vaults (every compartment) the caller may list (VAULT_INSPECT on each),
    oldest first; deleted vaults are left out."""
    with deps.db.transaction(read_only=True) as tx:
        found = tx.vaults.in_tenancy(call.principal.tenancy_id, MAX_LISTED)
    now = deps.clock.now()
    return [
        as_of(v, now)
        for v in found
        if v.state_at(now) is not State.DELETED and _may(deps, call, "ListVaults", v)
    ]


def _may(deps: Deps, call: Call, operation: str, resource: Key | Vault) -> bool:
    target = key_target(resource) if isinstance(resource, Key) else vault_target(resource)
    return deps.authorizer.is_allowed(call.principal, operation, permissions_for(operation), target)
