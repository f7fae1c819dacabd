"""Dynamic group use cases: CreateDynamicGroup, GetDynamicGroup, ListDynamicGroups,
UpdateDynamicGroup, DeleteDynamicGroup. Matching rules are validated before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.errors import Conflict, IncorrectState, InvalidParameter, NotFound
from strongroom.domain.identity import DynamicGroup
from strongroom.domain.ids import new_ocid
from strongroom.domain.paging import Page
from strongroom.iam.matching_rules import parse_matching_rule
from strongroom.iam.policy_ast import PolicySyntaxError
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.identity.common import Deleted, tenancy_target
from strongroom.services.identity.policies import MAX_STATEMENT_LENGTH
from strongroom.services.lookup import NOT_FOUND
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "CreateDynamicGroupRequest",
    "DeleteDynamicGroupRequest",
    "GetDynamicGroupRequest",
    "ListDynamicGroupsRequest",
    "UpdateDynamicGroupRequest",
    "create_dynamic_group",
    "delete_dynamic_group",
    "get_dynamic_group",
    "list_dynamic_groups",
    "update_dynamic_group",
    "validate_matching_rule",
]


@dataclass(frozen=True)
class CreateDynamicGroupRequest:
    """CreateDynamicGroup's input; ``matching_rule`` is checked by the use case."""

    name: str
    matching_rule: str
    description: str = ""


@dataclass(frozen=True)
class GetDynamicGroupRequest:
    """GetDynamicGroup's input."""

    dynamic_group_id: str


@dataclass(frozen=True)
class ListDynamicGroupsRequest:
    """ListDynamicGroups' input: the ACTIVE dynamic groups of the caller's tenancy."""


@dataclass(frozen=True)
class UpdateDynamicGroupRequest:
    """UpdateDynamicGroup's input; None leaves a field as it is."""

    dynamic_group_id: str
    description: str | None = None
    matching_rule: str | None = None
    if_match: str | None = None


@dataclass(frozen=True)
class DeleteDynamicGroupRequest:
    """DeleteDynamicGroup's input."""

    dynamic_group_id: str
    if_match: str | None = None


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
    """A matching rule that parses; the error says where and what was expected."""
    if not isinstance(rule, str) or not rule.strip() or len(rule) > MAX_STATEMENT_LENGTH:
        raise InvalidParameter("matchingRule must be a non-empty string")
    try:
        parse_matching_rule(rule)
    except PolicySyntaxError as error:
        raise InvalidParameter(f"Matching rule syntax error: {error}") from None
    return rule


def create_dynamic_group(
    deps: Deps, call: Call, request: CreateDynamicGroupRequest
) -> DynamicGroup:
    """A new dynamic group; names are unique among the tenancy's ACTIVE ones."""
    rule = validate_matching_rule(request.matching_rule)
    name = request.name
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
            request.description,
            rule,
            "ACTIVE",
            deps.clock.now(),
        )
        tx.iam.add_dynamic_group(group)
    return group


def get_dynamic_group(deps: Deps, call: Call, request: GetDynamicGroupRequest) -> DynamicGroup:
    """One ACTIVE dynamic group."""
    with deps.db.transaction(read_only=True) as tx:
        return _dynamic_group(deps, tx, call, request.dynamic_group_id, "GetDynamicGroup")


def list_dynamic_groups(
    deps: Deps, call: Call, request: ListDynamicGroupsRequest
) -> Page[DynamicGroup]:
    """The tenancy's ACTIVE dynamic groups, in one page (the adapter windows them)."""
    with deps.db.transaction(read_only=True) as tx:
        authorize(deps, call, "ListDynamicGroups", tenancy_target(call))
        found = [
            g
            for g in tx.iam.dynamic_groups(call.principal.tenancy_id)
            if g.lifecycle_state == "ACTIVE"
        ]
    return Page(found, None)


def update_dynamic_group(
    deps: Deps, call: Call, request: UpdateDynamicGroupRequest
) -> DynamicGroup:
    """Replace description and/or matching rule; a syntax error changes nothing."""
    rule = request.matching_rule
    checked = validate_matching_rule(rule) if rule is not None else None
    with deps.db.transaction() as tx:
        group = _dynamic_group(deps, tx, call, request.dynamic_group_id, "UpdateDynamicGroup")
        check_etag(group.id, group.version, request.if_match)
        if request.description is not None:
            group.description = request.description
        if checked is not None:
            group.matching_rule = checked
        tx.iam.save_dynamic_group(group)
    return group


def delete_dynamic_group(deps: Deps, call: Call, request: DeleteDynamicGroupRequest) -> Deleted:
    """Delete a dynamic group (its name is free again)."""
    with deps.db.transaction() as tx:
        group = _dynamic_group(deps, tx, call, request.dynamic_group_id, "DeleteDynamicGroup")
        check_etag(group.id, group.version, request.if_match)
        if group.lifecycle_state != "ACTIVE":
            raise IncorrectState("The dynamic group is already deleted")
        group.lifecycle_state = "DELETED"
        group.name = f"{group.name}#deleted#{group.id[-8:]}"
        tx.iam.save_dynamic_group(group)
    return Deleted(group.id)
