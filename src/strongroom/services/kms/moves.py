"""ChangeVaultCompartment, ChangeKeyCompartment and ChangeSecretCompartment: access follows the
resource."""

from __future__ import annotations

from strongroom.domain.key import Key
from strongroom.domain.secret import Secret
from strongroom.domain.vault import Vault
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.lookup import key_for, require_compartment, vault_for
from strongroom.services.ports import Deps
from strongroom.services.secrets.lookup import secret_for, secret_target


def _destination(call: Call, compartment_id: str, **extra: str) -> dict[str, str]:
    return {"tenancy.id": call.principal.tenancy_id, "compartment.id": compartment_id, **extra}


def change_vault_compartment(
    deps: Deps, call: Call, vault_id: str, compartment_id: str, if_match: str | None
) -> Vault:
    """Move a vault; the caller needs VAULT_MOVE in both the source and the destination."""
    with deps.db.transaction() as tx:
        vault = vault_for(deps, tx, call, vault_id, "ChangeVaultCompartment")
        check_etag(vault.id, vault.version, if_match)
        require_compartment(deps, tx, call, compartment_id)
        authorize(
            deps,
            call,
            "ChangeVaultCompartment",
            _destination(call, compartment_id, **{"vault.id": vault.id}),
        )
        vault.compartment_id = compartment_id
        tx.vaults.save(vault)
    return vault


def change_key_compartment(
    deps: Deps, call: Call, vault_id: str, key_id: str, compartment_id: str, if_match: str | None
) -> Key:
    """Move a key (and its versions); KEY_MOVE is needed in the source and the destination."""
    with deps.db.transaction() as tx:
        _, key = key_for(deps, tx, call, vault_id, key_id, "ChangeKeyCompartment")
        check_etag(key.id, key.version, if_match)
        require_compartment(deps, tx, call, compartment_id)
        target = _destination(call, compartment_id, **{"vault.id": key.vault_id, "key.id": key.id})
        authorize(deps, call, "ChangeKeyCompartment", target)
        key.compartment_id = compartment_id
        tx.keys.save(key)
        tx.keys.move_versions(key.id, compartment_id)
    return key


def change_secret_compartment(
    deps: Deps, call: Call, secret_id: str, compartment_id: str, if_match: str | None
) -> Secret:
    """Move a secret (its versions follow); SECRET_MOVE and SECRET_UPDATE in both places."""
    with deps.db.transaction() as tx:
        secret = secret_for(deps, tx, call, secret_id, "ChangeSecretCompartment")
        check_etag(secret.id, secret.version, if_match)
        require_compartment(deps, tx, call, compartment_id)
        target = {**secret_target(secret), "compartment.id": compartment_id}
        authorize(deps, call, "ChangeSecretCompartment", target)
        secret.compartment_id = compartment_id
        tx.secrets.save(secret)
    return secret
