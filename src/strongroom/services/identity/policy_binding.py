"""Binding the names in policy statements to OCIDs, as OCI does.

A statement names groups, dynamic groups and compartments (``group Devs``, ``in compartment
Apps:Prod``, the path relative to the policy's compartment). When a policy is created or its
statements are replaced, every name is bound to the OCID it names at that moment (an unknown
name is refused) and the bindings are stored beside the text, which is shown as written. The
authorizer compiles from the bindings and compares OCIDs: a renamed compartment keeps its
grants, and a group deleted and re-created under the same name does not inherit the old one's.

Policies stored before names were bound are bound once, at start-up, with what resolves then; a
name that resolves to nothing (then, or later because what it named was deleted) grants
nothing, and :func:`compile_policy` reports it (the authorizer logs it, ``iam explain`` shows it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from strongroom.domain.errors import InvalidParameter
from strongroom.domain.identity import PolicyRecord, StatementBinding
from strongroom.iam.compartments import CompartmentTree
from strongroom.iam.evaluator import Policy
from strongroom.iam.policy_ast import Location, PolicySyntaxError, Statement, Subject
from strongroom.iam.policy_parser import parse_statement
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "Directory",
    "UnresolvedPolicy",
    "bind_statements",
    "bind_stored_policies",
    "compile_policy",
    "load_directory",
]


@dataclass(frozen=True)
class Directory:
    """What names resolve against in one tenancy: its groups and ACTIVE dynamic groups (by
    lower-case name) and its tree of ACTIVE compartments."""

    tree: CompartmentTree
    groups: Mapping[str, str]
    dynamic_groups: Mapping[str, str]
    group_ids: frozenset[str]
    dynamic_group_ids: frozenset[str]

    def subject_id(self, kind: str, name: str) -> str | None:
        """The OCID of the group or dynamic group ``name`` (case-insensitive), if any."""
        table = self.groups if kind == "group" else self.dynamic_groups
        return table.get(name.lower())

    def resolves(self, kind: str, ocid: str) -> bool:
        """Whether a bound OCID still names a live group, dynamic group or compartment."""
        if kind == "group":
            return ocid in self.group_ids
        if kind == "dynamic-group":
            return ocid in self.dynamic_group_ids
        return ocid in self.tree.parents


@dataclass(frozen=True)
class UnresolvedPolicy:
    """A policy some of whose names resolve to nothing (they grant nothing): each entry says
    which statement and what (``statement 2: group 'Devs'``)."""

    policy_id: str
    policy_name: str
    names: tuple[str, ...]


def load_directory(tx: Transaction, tenancy_id: str) -> Directory:
    """The tenancy's groups, ACTIVE dynamic groups and ACTIVE compartment tree."""
    compartments = [c for c in tx.iam.compartments(tenancy_id) if c.lifecycle_state == "ACTIVE"]
    parents: dict[str, str | None] = {tenancy_id: None}
    parents.update({c.id: c.parent_id for c in compartments})
    tree = CompartmentTree(tenancy_id, parents, {c.id: c.name for c in compartments})
    groups = {g.name.lower(): g.id for g in tx.iam.groups(tenancy_id)}
    dynamic = {
        g.name.lower(): g.id
        for g in tx.iam.dynamic_groups(tenancy_id)
        if g.lifecycle_state == "ACTIVE"
    }
    return Directory(tree, groups, dynamic, frozenset(groups.values()), frozenset(dynamic.values()))


def _resolve(statement: Statement, compartment_id: str, directory: Directory) -> StatementBinding:
    """The statement's names bound with what they name now (None where nothing)."""
    subjects = [
        directory.subject_id(s.kind, s.name) if s.name is not None and s.ocid is None else None
        for s in statement.subjects
    ]
    location = statement.location
    compartment = None
    if location.kind == "path":
        compartment = directory.tree.resolve_path(compartment_id, location.path)
    return StatementBinding(subjects=subjects, compartment=compartment)


def bind_statements(
    statements: Iterable[Statement], compartment_id: str, directory: Directory
) -> list[StatementBinding]:
    """Bind a policy's statements, or refuse the first name that names nothing."""
    bindings = []
    for index, statement in enumerate(statements, start=1):
        binding = _resolve(statement, compartment_id, directory)
        for subject, bound in zip(statement.subjects, binding["subjects"], strict=True):
            if subject.name is not None and subject.ocid is None and bound is None:
                _refuse(index, statement, f"the {subject.kind} {subject.name!r}")
        if statement.location.kind == "path" and binding["compartment"] is None:
            path = ":".join(statement.location.path)
            _refuse(index, statement, f"the compartment {path!r} (under the policy's compartment)")
        bindings.append(binding)
    return bindings


def _refuse(index: int, statement: Statement, what: str) -> None:
    raise InvalidParameter(
        f'Policy statement {index} "{statement.text}" names {what}, which does not exist'
    )


def _bound(
    index: int, statement: Statement, binding: StatementBinding | None, directory: Directory
) -> tuple[Statement | None, list[str]]:
    """The statement with its names replaced by their OCIDs, and what does not resolve (its
    subjects are dropped; a location that does not resolve drops the statement)."""
    bound_ids = binding["subjects"] if binding is not None else []
    subjects: list[Subject] = []
    missing: list[str] = []
    for position, subject in enumerate(statement.subjects):
        if subject.name is None or subject.ocid is not None:
            subjects.append(subject)
            continue
        ocid = bound_ids[position] if position < len(bound_ids) else None
        if ocid is None or not directory.resolves(subject.kind, ocid):
            gone = "" if ocid is None else f" (bound to {ocid}, which no longer exists)"
            missing.append(f"statement {index}: {subject.kind} {subject.name!r}{gone}")
            continue
        subjects.append(dataclasses.replace(subject, ocid=ocid))
    location = statement.location
    if location.kind == "path":
        ocid = binding["compartment"] if binding is not None else None
        if ocid is None or not directory.resolves("compartment", ocid):
            gone = "" if ocid is None else f" (bound to {ocid}, which no longer exists)"
            path = ":".join(location.path)
            missing.append(f"statement {index}: compartment {path!r}{gone}")
            return None, missing
        location = Location("id", path=location.path, ocid=ocid)
    if not subjects:
        return None, missing
    return dataclasses.replace(statement, subjects=tuple(subjects), location=location), missing


def compile_policy(
    record: PolicyRecord, statements: Iterable[tuple[int, Statement]], directory: Directory
) -> tuple[Policy, UnresolvedPolicy | None]:
    """A stored policy for the evaluator: its parsed ``(index, statement)`` pairs bound with the
    stored bindings (or, for a policy stored without them, with what resolves now)."""
    compiled: list[Statement] = []
    missing: list[str] = []
    for index, statement in statements:
        if record.bindings is None:
            binding: StatementBinding | None = _resolve(statement, record.compartment_id, directory)
        else:
            found = index - 1 < len(record.bindings)
            binding = record.bindings[index - 1] if found else None
        bound, unresolved = _bound(index, statement, binding, directory)
        missing += unresolved
        if bound is not None:
            compiled.append(bound)
    policy = Policy(record.id, record.name, record.compartment_id, tuple(compiled))
    report = UnresolvedPolicy(record.id, record.name, tuple(missing)) if missing else None
    return policy, report


def _lenient_bindings(record: PolicyRecord, directory: Directory) -> list[StatementBinding]:
    bindings = []
    for index, text in enumerate(record.statements, start=1):
        try:
            statement = parse_statement(text, index)
        except PolicySyntaxError:
            bindings.append(StatementBinding(subjects=[], compartment=None))
            continue
        bindings.append(_resolve(statement, record.compartment_id, directory))
    return bindings


def bind_stored_policies(deps: Deps) -> int:
    """At start-up: bind the policies stored before names were bound (what does not resolve
    stays unbound and grants nothing), then compile every tenancy's policies once so the
    authorizer logs each policy whose names do not resolve. Returns how many were bound."""
    bound = 0
    with deps.db.transaction() as tx:
        tenancies = list(tx.identity.tenancy_ids())
        for tenancy_id in tenancies:
            legacy = [
                p
                for p in tx.iam.policies(tenancy_id)
                if p.bindings is None and p.lifecycle_state == "ACTIVE"
            ]
            if not legacy:
                continue
            directory = load_directory(tx, tenancy_id)
            for policy in legacy:
                bound += tx.iam.bind_policy(policy, _lenient_bindings(policy, directory))
    policy_set = getattr(deps.authorizer, "policy_set", None)
    if policy_set is not None:
        for tenancy_id in tenancies:
            policy_set(tenancy_id)
    return bound
