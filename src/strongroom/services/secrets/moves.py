"""ChangeSecretCompartment: access follows the secret."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.secret import Secret
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.lookup import require_compartment
from strongroom.services.ports import Deps
from strongroom.services.secrets.lookup import secret_target, writable_secret_for

__all__ = ["ChangeSecretCompartmentRequest", "change_secret_compartment"]


@dataclass(frozen=True)
class ChangeSecretCompartmentRequest:
    """ChangeSecretCompartment's input: the secret and the compartment it moves to."""

    secret_id: str
    compartment_id: str
    if_match: str | None = None


def change_secret_compartment(
    deps: Deps, call: Call, request: ChangeSecretCompartmentRequest
) -> Secret:
    """Move a secret (its versions follow); SECRET_MOVE and SECRET_UPDATE in both places."""
    compartment_id = request.compartment_id
    with deps.db.transaction() as tx:
        secret = writable_secret_for(deps, tx, call, request.secret_id, "ChangeSecretCompartment")
        check_etag(secret.id, secret.version, request.if_match)
        require_compartment(deps, tx, call, compartment_id)
        target = secret_target(secret).moved_to(compartment_id)
        authorize(deps, call, "ChangeSecretCompartment", target)
        secret.compartment_id = compartment_id
        tx.secrets.save(secret)
    return secret
