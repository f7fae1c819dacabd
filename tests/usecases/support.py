"""Builders for use-case tests: vaults and keys made through the services, as a caller would.

The services' signatures are changing to ``(deps, call, request)``; every call the use-case
tests make to create a vault or a key goes through here, so only this module needs adapting.
"""

from __future__ import annotations

import uuid

from strongroom.domain.identity import Principal
from strongroom.domain.key import Key, KeyVersion, ProtectionMode, make_shape
from strongroom.domain.vault import Vault, VaultType
from strongroom.services.context import Call
from strongroom.services.identity.bootstrap import AdminIdentity
from strongroom.services.kms import keys, vaults
from strongroom.services.ports import Deps


def principal_of(deps: Deps, user_id: str) -> Principal:
    """The principal of an ACTIVE user, with its groups, as authentication builds it."""
    with deps.db.transaction(read_only=True) as tx:
        user = tx.identity.get_user(user_id)
        assert user is not None, f"no user {user_id}"
        groups = tx.identity.groups_of(user_id)
    return Principal(
        tenancy_id=user.tenancy_id,
        user_id=user.id,
        group_ids=frozenset(g.id for g in groups),
        group_names=frozenset(g.name for g in groups),
    )


def call_as(principal: Principal) -> Call:
    """A call by ``principal`` with a fresh request id."""
    return Call(principal=principal, request_id=f"test-{uuid.uuid4().hex}")


def admin_call(deps: Deps, admin: AdminIdentity) -> Call:
    """A call by the administrator ``strongroom init`` created."""
    return call_as(principal_of(deps, admin.user_id))


def new_vault(
    deps: Deps, call: Call, compartment_id: str | None = None, name: str | None = None
) -> Vault:
    """An ACTIVE DEFAULT vault in ``compartment_id`` (default: the caller's root compartment)."""
    request = vaults.CreateVaultRequest(
        compartment_id=compartment_id or call.principal.tenancy_id,
        display_name=name or f"vault-{uuid.uuid4().hex[:8]}",
        vault_type=VaultType.DEFAULT,
        freeform_tags={},
        defined_tags={},
    )
    return vaults.create_vault(deps, call, request)


def new_aes_key(
    deps: Deps, call: Call, vault: Vault, name: str | None = None
) -> tuple[Key, KeyVersion]:
    """An ENABLED software AES-256 key in ``vault`` (its compartment) and its first version."""
    request = keys.CreateKeyRequest(
        vault_id=vault.id,
        compartment_id=vault.compartment_id,
        display_name=name or f"key-{uuid.uuid4().hex[:8]}",
        key_shape=make_shape("AES", 32, None),
        protection_mode=ProtectionMode.SOFTWARE,
        freeform_tags={},
        defined_tags={},
    )
    created = keys.create_key(deps, call, request)
    return created.key, created.version
