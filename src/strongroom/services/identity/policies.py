"""Policies and dynamic groups: validated in full before anything is stored."""

from __future__ import annotations

from strongroom.domain.errors import Conflict, IncorrectState, InvalidParameter, NotFound
from strongroom.domain.identity import DynamicGroup, PolicyRecord
from strongroom.domain.ids import new_ocid
from strongroom.iam.matching_rules import parse_matching_rule
from strongroom.iam.policy_ast import PolicySyntaxError
from strongroom.iam.policy_parser import parse_policy
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.identity.bootstrap import TENANT_ADMIN_POLICY
from strongroom.services.identity.common import identity_changed, tenancy_target
from strongroom.services.lookup import NOT_FOUND, require_compartment
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

MAX_STATEMENTS = 50
MAX_STATEMENT_LENGTH = 2000


def validate_statements(statements: object) -> list[str]:
    """Every statement must parse; the error names the statement, line, column and expectation."""
    if not isinstance(statements, list) or not statements or len(statements) > MAX_STATEMENTS:
        raise InvalidParameter(f"statements must be a list of 1 to {MAX_STATEMENTS} strings")
    if not all(isinstance(s, str) and 0 < len(s) <= MAX_STATEMENT_LENGTH for s in statements):
        raise InvalidParameter(
            f"each statement must be a string of 1 to {MAX_STATEMENT_LENGTH} characters"
        )
    try:
        parse_policy(statements)
    except PolicySyntaxError as error:
        raise InvalidParameter(f"Policy syntax error: {error}") from None
    return list(statements)


def _policy(
    deps: Deps, tx: Transaction, call: Call, policy_id: str, operation: str
) -> PolicyRecord:
    policy = tx.iam.get_policy(policy_id)
    if (
        policy is None
        or policy.tenancy_id != call.principal.tenancy_id
        or policy.lifecycle_state != "ACTIVE"
    ):
        raise NotFound(NOT_FOUND)
    authorize(
        deps,
        call,
        operation,
        tenancy_target(call, policy.compartment_id, policy_id=policy.id),
    )
    if operation in ("UpdatePolicy", "DeletePolicy") and _is_tenant_admin_policy(policy):
        raise IncorrectState("The tenant admin policy cannot be changed or deleted")
    return policy


def _is_tenant_admin_policy(policy: PolicyRecord) -> bool:
    return policy.name == TENANT_ADMIN_POLICY and policy.compartment_id == policy.tenancy_id


def create_policy(
    deps: Deps, call: Call, compartment_id: str, name: str, description: str, statements: list[str]
) -> PolicyRecord:
    """A new policy attached to ``compartment_id``; statements are relative to it."""
    statements = validate_statements(statements)
    with deps.db.transaction() as tx:
        require_compartment(deps, tx, call, compartment_id)
        authorize(deps, call, "CreatePolicy", tenancy_target(call, compartment_id))
        if any(
            p.name.lower() == name.lower() and p.lifecycle_state == "ACTIVE"
            for p in tx.iam.policies(call.principal.tenancy_id)
        ):
            raise Conflict(f"A policy named {name!r} already exists")
        policy = PolicyRecord(
            new_ocid("policy", deps.region, deps.random_bytes),
            call.principal.tenancy_id,
            compartment_id,
            name,
            description,
            statements,
            "ACTIVE",
            deps.clock.now(),
        )
        tx.iam.add_policy(policy)
    identity_changed(deps)
    return policy


def get_policy(deps: Deps, call: Call, policy_id: str) -> PolicyRecord:
    with deps.db.transaction(read_only=True) as tx:
        return _policy(deps, tx, call, policy_id, "GetPolicy")


def list_policies(deps: Deps, call: Call, compartment_id: str) -> list[PolicyRecord]:
    with deps.db.transaction(read_only=True) as tx:
        require_compartment(deps, tx, call, compartment_id)
        authorize(deps, call, "ListPolicies", tenancy_target(call, compartment_id))
        return [
            p
            for p in tx.iam.policies(call.principal.tenancy_id)
            if p.compartment_id == compartment_id and p.lifecycle_state == "ACTIVE"
        ]


def update_policy(
    deps: Deps,
    call: Call,
    policy_id: str,
    description: str | None,
    statements: list[str] | None,
    if_match: str | None,
) -> PolicyRecord:
    """Replace description and/or statements; a syntax error changes nothing."""
    checked = validate_statements(statements) if statements is not None else None
    with deps.db.transaction() as tx:
        policy = _policy(deps, tx, call, policy_id, "UpdatePolicy")
        check_etag(policy.id, policy.version, if_match)
        if description is not None:
            policy.description = description
        if checked is not None:
            policy.statements = checked
        tx.iam.save_policy(policy)
    identity_changed(deps)
    return policy


def delete_policy(deps: Deps, call: Call, policy_id: str, if_match: str | None) -> None:
    with deps.db.transaction() as tx:
        policy = _policy(deps, tx, call, policy_id, "DeletePolicy")
        check_etag(policy.id, policy.version, if_match)
        policy.lifecycle_state = "DELETED"
        policy.name = f"{policy.name}#deleted#{policy.id[-8:]}"
        tx.iam.save_policy(policy)
    identity_changed(deps)


def _dynamic_group(
    deps: Deps, tx: Transaction, call: Call, group_id: str, operation: str
) -> DynamicGroup:
    group = tx.iam.get_dynamic_group(group_id)
    if (
        group is None
        or group.tenancy_id != call.principal.tenancy_id
        or group.lifecycle_state != "ACTIVE"
    ):
        raise NotFound(NOT_FOUND)
    authorize(deps, call, operation, tenancy_target(call))
    return group


def validate_matching_rule(rule: object) -> str:
    if not isinstance(rule, str) or not rule.strip() or len(rule) > MAX_STATEMENT_LENGTH:
        raise InvalidParameter("matchingRule must be a non-empty string")
    try:
        parse_matching_rule(rule)
    except PolicySyntaxError as error:
        raise InvalidParameter(f"Matching rule syntax error: {error}") from None
    return rule


def create_dynamic_group(
    deps: Deps, call: Call, name: str, description: str, rule: str
) -> DynamicGroup:
    rule = validate_matching_rule(rule)
    with deps.db.transaction() as tx:
        authorize(deps, call, "CreateDynamicGroup", tenancy_target(call))
        if any(
            g.name.lower() == name.lower() and g.lifecycle_state == "ACTIVE"
            for g in tx.iam.dynamic_groups(call.principal.tenancy_id)
        ):
            raise Conflict(f"A dynamic group named {name!r} already exists")
        group = DynamicGroup(
            new_ocid("dynamicgroup", deps.region, deps.random_bytes),
            call.principal.tenancy_id,
            name,
            description,
            rule,
            "ACTIVE",
            deps.clock.now(),
        )
        tx.iam.add_dynamic_group(group)
    identity_changed(deps)
    return group


def get_dynamic_group(deps: Deps, call: Call, group_id: str) -> DynamicGroup:
    with deps.db.transaction(read_only=True) as tx:
        return _dynamic_group(deps, tx, call, group_id, "GetDynamicGroup")


def list_dynamic_groups(deps: Deps, call: Call) -> list[DynamicGroup]:
    with deps.db.transaction(read_only=True) as tx:
        authorize(deps, call, "ListDynamicGroups", tenancy_target(call))
        return [
            g
            for g in tx.iam.dynamic_groups(call.principal.tenancy_id)
            if g.lifecycle_state == "ACTIVE"
        ]


def update_dynamic_group(
    deps: Deps,
    call: Call,
    group_id: str,
    description: str | None,
    rule: str | None,
    if_match: str | None,
) -> DynamicGroup:
    checked = validate_matching_rule(rule) if rule is not None else None
    with deps.db.transaction() as tx:
        group = _dynamic_group(deps, tx, call, group_id, "UpdateDynamicGroup")
        check_etag(group.id, group.version, if_match)
        if description is not None:
            group.description = description
        if checked is not None:
            group.matching_rule = checked
        tx.iam.save_dynamic_group(group)
    identity_changed(deps)
    return group


def delete_dynamic_group(deps: Deps, call: Call, group_id: str, if_match: str | None) -> None:
    with deps.db.transaction() as tx:
        group = _dynamic_group(deps, tx, call, group_id, "DeleteDynamicGroup")
        check_etag(group.id, group.version, if_match)
        if group.lifecycle_state != "ACTIVE":
            raise IncorrectState("The dynamic group is already deleted")
        group.lifecycle_state = "DELETED"
        group.name = f"{group.name}#deleted#{group.id[-8:]}"
        tx.iam.save_dynamic_group(group)
    identity_changed(deps)
