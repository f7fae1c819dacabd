"""Authorization of one call against the configured authorizer; deny looks like not-found."""

from __future__ import annotations

from strongroom.domain.errors import NotAuthorized
from strongroom.domain.identity import Principal
from strongroom.iam.operations import permissions_for
from strongroom.services.context import Call
from strongroom.services.ports import Deps


class AdministratorsOnly:
    """Until policies exist: members of the tenancy's Administrators group may do everything."""

    def is_allowed(
        self,
        principal: Principal,
        operation: str,
        permissions: tuple[str, ...],
        target: dict[str, str],
    ) -> bool:
        return "Administrators" in principal.group_names


def authorize(
    deps: Deps,
    call: Call,
    operation: str,
    target: dict[str, str],
    permissions: tuple[str, ...] | None = None,
) -> None:
    """Raise NotAuthorized (a 404 at the edge) unless the call may run on ``target``.

    ``target`` holds policy variables such as ``compartment.id``, ``vault.id``, ``key.id``.
    ``permissions`` checks a part of the operation's permissions where they apply to different
    targets (CreateKey: KEY_CREATE where the key goes, VAULT_CREATE_KEY on the vault).
    Resources of another tenancy are never visible.
    """
    tenancy = target.get("tenancy.id")
    if tenancy is not None and tenancy != call.principal.tenancy_id:
        raise NotAuthorized("The resource does not exist or you are not authorized to access it")
    needed = permissions if permissions is not None else permissions_for(operation)
    allowed = deps.authorizer.is_allowed(call.principal, operation, needed, target)
    if not allowed:
        raise NotAuthorized("The resource does not exist or you are not authorized to access it")
