"""Resource principals: a resource (e.g. a secret) acting with what its dynamic groups grant."""

from __future__ import annotations

import logging

from strongroom.domain.identity import DynamicGroup, Principal
from strongroom.iam.matching_rules import matches, parse_matching_rule
from strongroom.iam.policy_ast import PolicySyntaxError
from strongroom.services.ports import Deps

__all__ = ["active_dynamic_groups", "resource_principal"]

log = logging.getLogger("strongroom.iam")


def active_dynamic_groups(deps: Deps, tenancy_id: str) -> list[DynamicGroup]:
    """The tenancy's ACTIVE dynamic groups."""
    with deps.db.transaction(read_only=True) as tx:
        return [g for g in tx.iam.dynamic_groups(tenancy_id) if g.lifecycle_state == "ACTIVE"]


def resource_principal(
    deps: Deps,
    tenancy_id: str,
    resource_type: str,
    resource_id: str,
    compartment_id: str,
    tags: dict[str, dict[str, str]] | None = None,
    groups: list[DynamicGroup] | None = None,
) -> Principal:
    """The principal of a resource, member of every dynamic group whose rule it matches
    (``groups``: the tenancy's active dynamic groups, when the caller has them already)."""
    facts = {
        "resource.type": resource_type,
        "resource.id": resource_id,
        "resource.compartment.id": compartment_id,
    }
    for namespace, entries in (tags or {}).items():
        for key, value in entries.items():
            facts[f"tag.{namespace}.{key}.value".lower()] = str(value)
    if groups is None:
        groups = active_dynamic_groups(deps, tenancy_id)
    member_of = []
    for group in groups:
        try:
            rule = parse_matching_rule(group.matching_rule)
        except PolicySyntaxError:
            log.error("dynamic group %s has a rule that no longer parses; skipped", group.id)
            continue
        if matches(rule, facts):
            member_of.append(group)
    return Principal(
        tenancy_id=tenancy_id,
        user_id=resource_id,
        principal_type="resource",
        dynamic_group_ids=frozenset(g.id for g in member_of),
        dynamic_group_names=frozenset(g.name for g in member_of),
    )
