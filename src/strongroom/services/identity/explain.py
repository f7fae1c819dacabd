"""Why was (or would be) a call allowed? The decision and the statements that decided it."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.errors import InvalidParameter, NotFound
from strongroom.domain.identity import Principal
from strongroom.domain.ids import ocid_type
from strongroom.iam.evaluator import Decision
from strongroom.iam.operations import OPERATION_PERMISSIONS
from strongroom.iam.target import Target
from strongroom.services.identity.authorizer import PolicyAuthorizer
from strongroom.services.identity.policy_binding import UnresolvedPolicy
from strongroom.services.lookup import key_target, vault_target
from strongroom.services.ports import Deps

__all__ = ["Explanation", "explain"]


@dataclass(frozen=True)
class Explanation:
    """The principal, the resource's policy variables and the decision; ``unresolved``: the
    tenancy's policies naming groups, dynamic groups or compartments that resolve to nothing
    (those names grant nothing)."""

    principal: Principal
    operation: str
    permissions: tuple[str, ...]
    target: Target
    decision: Decision
    unresolved: tuple[UnresolvedPolicy, ...] = ()


def _principal(deps: Deps, user: str) -> Principal:
    with deps.db.transaction(read_only=True) as tx:
        found = tx.identity.get_user(user)
        if found is None:
            matches = [
                u for t in tx.identity.tenancy_ids() for u in tx.iam.users(t) if u.name == user
            ]
            found = matches[0] if len(matches) == 1 else None
        if found is None:
            raise NotFound(f"No user {user!r}")
        groups = tx.identity.groups_of(found.id)
    return Principal(
        found.tenancy_id,
        found.id,
        frozenset(g.id for g in groups),
        frozenset(g.name for g in groups),
    )


def _target(deps: Deps, resource: str) -> Target:
    kind = ocid_type(resource)
    with deps.db.transaction(read_only=True) as tx:
        if kind == "vault" and (vault := tx.vaults.get(resource)):
            return vault_target(vault)
        if kind == "key" and (key := tx.keys.get(resource)):
            return key_target(key)
        if kind == "compartment" and (compartment := tx.iam.get_compartment(resource)):
            return Target(compartment.tenancy_id, compartment.id)
        if kind == "tenancy" and tx.identity.get_tenancy(resource):
            return Target(resource, resource)
    raise NotFound(f"No resource {resource!r}")


def explain(deps: Deps, user: str, operation: str, resource: str) -> Explanation:
    """Evaluate ``operation`` by ``user`` (OCID or name) on ``resource`` (an OCID)."""
    if operation not in OPERATION_PERMISSIONS:
        raise InvalidParameter(
            f"Unknown operation {operation!r}; known: {', '.join(OPERATION_PERMISSIONS)}"
        )
    if not isinstance(deps.authorizer, PolicyAuthorizer):
        raise InvalidParameter("Policies are not in use on this server")
    principal = _principal(deps, user)
    target = _target(deps, resource)
    if target.tenancy_id != principal.tenancy_id:
        raise InvalidParameter("The user and the resource are in different tenancies")
    permissions = OPERATION_PERMISSIONS[operation]
    decision = deps.authorizer.decide(principal, operation, permissions, target)
    unresolved = deps.authorizer.unresolved(principal.tenancy_id)
    return Explanation(principal, operation, permissions, target, decision, unresolved)
