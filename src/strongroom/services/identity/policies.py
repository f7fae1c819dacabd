"""Policy use cases: CreatePolicy, GetPolicy, ListPolicies, UpdatePolicy, DeletePolicy.

Statements are validated in full before anything is stored: they must parse, and every group,
dynamic group and compartment they name must exist; the names are bound to OCIDs (see
policy_binding) and the statements are kept as written.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.errors import Conflict, IncorrectState, InvalidParameter, NotFound
from strongroom.domain.identity import PolicyRecord, StatementBinding
from strongroom.domain.ids import new_ocid
from strongroom.domain.paging import Page
from strongroom.iam.policy_ast import PolicySyntaxError, Statement
from strongroom.iam.policy_parser import parse_policy
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.identity.bootstrap import TENANT_ADMIN_POLICY
from strongroom.services.identity.common import Deleted, tenancy_target
from strongroom.services.identity.policy_binding import bind_statements, load_directory
from strongroom.services.lookup import NOT_FOUND, require_compartment
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "MAX_STATEMENTS",
    "MAX_STATEMENT_LENGTH",
    "CreatePolicyRequest",
    "DeletePolicyRequest",
    "GetPolicyRequest",
    "ListPoliciesRequest",
    "UpdatePolicyRequest",
    "create_policy",
    "delete_policy",
    "get_policy",
    "list_policies",
    "update_policy",
    "validate_statements",
]

MAX_STATEMENTS = 50
MAX_STATEMENT_LENGTH = 2000


@dataclass(frozen=True)
class CreatePolicyRequest:
    """CreatePolicy's input; ``statements`` are checked by the use case (as JSON sent them)."""

    compartment_id: str
    name: str
    statements: list[str]
    description: str = ""


@dataclass(frozen=True)
class GetPolicyRequest:
    """GetPolicy's input."""

    policy_id: str


@dataclass(frozen=True)
class ListPoliciesRequest:
    """ListPolicies' input: the ACTIVE policies attached to ``compartment_id``."""

    compartment_id: str


@dataclass(frozen=True)
class UpdatePolicyRequest:
    """UpdatePolicy's input; None leaves a field as it is, statements are checked in full."""

    policy_id: str
    description: str | None = None
    statements: list[str] | None = None
    if_match: str | None = None


@dataclass(frozen=True)
class DeletePolicyRequest:
    """DeletePolicy's input."""

    policy_id: str
    if_match: str | None = None


def validate_statements(statements: object) -> list[str]:
    """Every statement must parse; the error names the statement, line, column and expectation."""
    return _parse_statements(statements)[0]


def _parse_statements(statements: object) -> tuple[list[str], list[Statement]]:
    if not isinstance(statements, list) or not statements or len(statements) > MAX_STATEMENTS:
        raise InvalidParameter(f"statements must be a list of 1 to {MAX_STATEMENTS} strings")
    if not all(isinstance(s, str) and 0 < len(s) <= MAX_STATEMENT_LENGTH for s in statements):
        raise InvalidParameter(
            f"each statement must be a string of 1 to {MAX_STATEMENT_LENGTH} characters"
        )
    try:
        return list(statements), parse_policy(statements)
    except PolicySyntaxError as error:
        raise InvalidParameter(f"Policy syntax error: {error}") from None


def _bind(
    tx: Transaction, call: Call, compartment_id: str, parsed: list[Statement]
) -> list[StatementBinding]:
    """The statements' names bound to OCIDs now, in the write transaction (unknown: refused)."""
    directory = load_directory(tx, call.principal.tenancy_id)
    return bind_statements(parsed, compartment_id, directory)


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


def create_policy(deps: Deps, call: Call, request: CreatePolicyRequest) -> PolicyRecord:
    """A new policy attached to ``compartment_id``; statements are relative to it."""
    statements, parsed = _parse_statements(request.statements)
    compartment_id, name = request.compartment_id, request.name
    with deps.db.transaction() as tx:
        require_compartment(deps, tx, call, compartment_id)
        authorize(deps, call, "CreatePolicy", tenancy_target(call, compartment_id))
        bindings = _bind(tx, call, compartment_id, parsed)
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
            request.description,
            statements,
            "ACTIVE",
            deps.clock.now(),
            bindings=bindings,
        )
        tx.iam.add_policy(policy)
    return policy


def get_policy(deps: Deps, call: Call, request: GetPolicyRequest) -> PolicyRecord:
    """One ACTIVE policy."""
    with deps.db.transaction(read_only=True) as tx:
        return _policy(deps, tx, call, request.policy_id, "GetPolicy")


def list_policies(deps: Deps, call: Call, request: ListPoliciesRequest) -> Page[PolicyRecord]:
    """The compartment's ACTIVE policies, in one page (the adapter windows them)."""
    compartment_id = request.compartment_id
    with deps.db.transaction(read_only=True) as tx:
        require_compartment(deps, tx, call, compartment_id)
        authorize(deps, call, "ListPolicies", tenancy_target(call, compartment_id))
        found = [
            p
            for p in tx.iam.policies(call.principal.tenancy_id)
            if p.compartment_id == compartment_id and p.lifecycle_state == "ACTIVE"
        ]
    return Page(found, None)


def update_policy(deps: Deps, call: Call, request: UpdatePolicyRequest) -> PolicyRecord:
    """Replace description and/or statements; a syntax error or an unknown name changes
    nothing. New statements are bound anew (a name means what it names now)."""
    checked = _parse_statements(request.statements) if request.statements is not None else None
    with deps.db.transaction() as tx:
        policy = _policy(deps, tx, call, request.policy_id, "UpdatePolicy")
        check_etag(policy.id, policy.version, request.if_match)
        if checked is not None:
            policy.statements, parsed = checked
            policy.bindings = _bind(tx, call, policy.compartment_id, parsed)
        if request.description is not None:
            policy.description = request.description
        tx.iam.save_policy(policy)
    return policy


def delete_policy(deps: Deps, call: Call, request: DeletePolicyRequest) -> Deleted:
    """Delete a policy (its name is free again); the tenant admin policy stays."""
    with deps.db.transaction() as tx:
        policy = _policy(deps, tx, call, request.policy_id, "DeletePolicy")
        check_etag(policy.id, policy.version, request.if_match)
        policy.lifecycle_state = "DELETED"
        policy.name = f"{policy.name}#deleted#{policy.id[-8:]}"
        tx.iam.save_policy(policy)
    return Deleted(policy.id)
