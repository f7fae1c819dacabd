"""Authorization of one call against the configured authorizer; deny looks like not-found."""

from __future__ import annotations

from strongroom.domain.errors import NotAuthorized
from strongroom.iam.operations import permissions_for
from strongroom.iam.target import Target
from strongroom.metrics import authorization_denied
from strongroom.services.context import Call
from strongroom.services.key_access import key_call_allowed
from strongroom.services.ports import Deps

__all__ = ["authorize"]


def authorize(
    deps: Deps,
    call: Call,
    operation: str,
    target: Target,
    permissions: tuple[str, ...] | None = None,
) -> None:
    """Raise NotAuthorized (a 404 at the edge) unless the call may run on ``target``.

    ``target`` answers the policy variables ``target.compartment.id``, ``target.vault.id``...
    ``permissions`` checks a part of the operation's permissions where they apply to different
    targets (CreateKey: KEY_CREATE where the key goes, VAULT_CREATE_KEY on the vault).
    A key is decided with its own key policy too (:mod:`strongroom.services.key_access`),
    which alone may open it to another tenancy; other resources of another tenancy are never
    visible.
    """
    note = call.audit
    note.resource_id = target.resource_id or note.resource_id
    note.compartment_id = target.compartment_id or note.compartment_id
    needed = permissions if permissions is not None else permissions_for(operation)
    tenancy = target.tenancy_id
    if target.key_id is not None:
        allowed = key_call_allowed(deps, call.principal, operation, needed, target, call.source_ip)
    elif tenancy is not None and tenancy != call.principal.tenancy_id:
        allowed = False
    else:
        allowed = deps.authorizer.is_allowed(call.principal, operation, needed, target)
    note.decision = "allowed" if allowed else "denied"
    if not allowed:
        authorization_denied(operation)
        raise NotAuthorized("The resource does not exist or you are not authorized to access it")
