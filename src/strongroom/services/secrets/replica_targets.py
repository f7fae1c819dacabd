"""Checking a secret's replication targets before anything is stored: each target region is
asked whether its vault and key exist, can hold the replica, and may be used by the caller.
A region that cannot be reached fails the call (503): nothing is stored."""

from __future__ import annotations

from datetime import datetime

from strongroom.domain.errors import (
    InvalidParameter,
    NotFound,
    ServiceUnavailable,
)
from strongroom.domain.key import Key
from strongroom.domain.lifecycle import State
from strongroom.domain.replication import ReplicationConfig, check_replication
from strongroom.domain.vault import Vault
from strongroom.services.context import Call
from strongroom.services.identity.principals import user_principal
from strongroom.services.lookup import key_target, vault_target
from strongroom.services.ports import Deps
from strongroom.services.realm_port import PeerRefused, PeerUnreachable
from strongroom.services.replication.credentials import signing_key

__all__ = ["check_target_here", "check_targets", "usable_target"]

CHECK_TIMEOUT = 10.0


def check_targets(deps: Deps, call: Call, config: ReplicationConfig) -> None:
    """Refuse ``config`` unless every target region answers that its target is usable."""
    check_replication(config, deps.region)
    if config.targets and deps.peers is None:
        raise ServiceUnavailable("This process cannot call other regions")
    with deps.db.transaction(read_only=True) as tx:
        regions = {r.name: r for r in tx.realm.regions()}
    for target in config.targets:
        region = regions.get(target.region)
        if region is None or region.state != "ACTIVE":
            raise InvalidParameter(
                f"targetRegion {target.region} is not a linked region of this realm"
            )
        payload = {
            "tenancyId": call.principal.tenancy_id,
            "userId": call.principal.user_id,
            "vaultId": target.vault_id,
            "keyId": target.key_id,
        }
        assert deps.peers is not None
        try:
            deps.peers.post(region.url, "/secrets/check", payload, signing_key(deps), CHECK_TIMEOUT)
        except PeerUnreachable as error:
            raise ServiceUnavailable(
                f"Region {target.region} cannot be reached to check the replication target; "
                f"nothing was stored ({error.message})"
            ) from None
        except PeerRefused as error:
            if error.status in (400, 404, 409):
                raise InvalidParameter(
                    f"Replication target in {target.region}: {error.message}"
                ) from None
            raise ServiceUnavailable(
                f"Region {target.region} could not check the replication target: {error.message}"
            ) from None


def usable_target(
    vault: Vault | None,
    key: Key | None,
    tenancy_id: str,
    vault_id: str,
    key_id: str,
    region: str,
    now: datetime,
) -> tuple[Vault, Key]:
    """``vault`` and ``key`` (as read for ``vault_id`` and ``key_id``) if they exist in the
    tenancy and can hold a replica now; InvalidParameter saying why not."""
    if vault is None or vault.tenancy_id != tenancy_id:
        raise InvalidParameter(f"The target vault {vault_id} does not exist in {region}")
    if key is None or key.tenancy_id != tenancy_id or key.vault_id != vault.id:
        raise InvalidParameter(
            f"The target key {key_id} is not a key of vault {vault_id} in {region}"
        )
    if vault.state_at(now) is not State.ACTIVE:
        raise InvalidParameter(f"The target vault {vault_id} in {region} is {vault.state_at(now)}")
    if key.state_at(now) is not State.ENABLED:
        raise InvalidParameter(f"The target key {key_id} in {region} is {key.state_at(now)}")
    if key.is_external or not key.shape.is_symmetric:
        raise InvalidParameter(f"The target key {key_id} cannot encrypt secrets (AES keys only)")
    return vault, key


def check_target_here(
    deps: Deps, tenancy_id: str, user_id: str, vault_id: str, key_id: str
) -> None:
    """(The target region) the vault and key exist in the tenancy, can hold a replica, and
    the user may create secrets in the vault and use the key; NotFound otherwise."""
    region = deps.region
    now = deps.clock.now()
    with deps.db.transaction(read_only=True) as tx:
        principal = user_principal(tx, tenancy_id, user_id)
        vault, key = tx.vaults.get(vault_id), tx.keys.get(key_id)
    vault, key = usable_target(vault, key, tenancy_id, vault_id, key_id, region, now)
    allowed = principal is not None and all(
        deps.authorizer.is_allowed(principal, "CreateSecret", (permission,), where)
        for permission, where in (
            ("VAULT_CREATE_SECRET", vault_target(vault)),
            ("KEY_ENCRYPT", key_target(key)),
            ("KEY_DECRYPT", key_target(key)),
        )
    )
    if not allowed:
        raise NotFound(f"The target vault or key in {region} does not exist or you may not use it")
