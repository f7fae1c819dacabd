"""Deciding a request against a set of policies. Deny beats allow; every permission is needed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from strongroom.iam.compartments import CompartmentTree
from strongroom.iam.policy_ast import (
    Combination,
    Compare,
    Condition,
    Membership,
    Statement,
    Subject,
)

__all__ = ["Actor", "Decision", "Hit", "Policy", "PolicySet", "Question", "holds"]


@dataclass(frozen=True)
class Policy:
    """A stored policy: its statements apply relative to the compartment it is attached to."""

    id: str
    name: str
    compartment_id: str
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class Actor:
    """Who asks: a user (with groups) or a resource principal (with dynamic groups)."""

    id: str
    principal_type: str
    group_ids: frozenset[str] = frozenset()
    group_names: frozenset[str] = frozenset()
    dynamic_group_ids: frozenset[str] = frozenset()
    dynamic_group_names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Question:
    """One authorization question: may ``actor`` do ``operation`` (needing ``permissions``) on a
    target in ``compartment_id``? ``variables`` holds request.* and target.* values."""

    actor: Actor
    operation: str
    permissions: tuple[str, ...]
    compartment_id: str
    variables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    """A statement that matched the question for ``permission``."""

    policy: str
    statement: str
    effect: str
    permission: str


@dataclass(frozen=True)
class Decision:
    """The answer, and the statements that decided it."""

    allowed: bool
    hits: tuple[Hit, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class _Rule:
    policy: Policy
    statement: Statement
    location_id: str | None


class PolicySet:
    """Policies compiled against a compartment tree, indexed by subject for fast lookup."""

    def __init__(self, policies: Iterable[Policy], tree: CompartmentTree) -> None:
        self.tree = tree
        self._by_subject: dict[tuple[str, str], list[_Rule]] = {}
        for policy in policies:
            for statement in policy.statements:
                rule = _Rule(policy, statement, self._locate(policy, statement))
                for subject in statement.subjects:
                    self._by_subject.setdefault(_subject_key(subject), []).append(rule)

    def _locate(self, policy: Policy, statement: Statement) -> str | None:
        location = statement.location
        if location.kind == "tenancy":
            return self.tree.tenancy_id
        if location.kind == "id":
            return location.ocid
        return self.tree.resolve_path(policy.compartment_id, location.path)

    def _rules_for(self, actor: Actor) -> list[_Rule]:
        keys = [("any-user", "")]
        if actor.group_ids or actor.dynamic_group_ids:
            keys.append(("any-group", ""))
        keys += [("group-id", g) for g in actor.group_ids]
        keys += [("group", n.lower()) for n in actor.group_names]
        keys += [("dynamic-group-id", g) for g in actor.dynamic_group_ids]
        keys += [("dynamic-group", n.lower()) for n in actor.dynamic_group_names]
        seen: dict[int, _Rule] = {}
        for key in keys:
            for rule in self._by_subject.get(key, ()):
                seen.setdefault(id(rule), rule)
        return list(seen.values())

    def decide(self, question: Question) -> Decision:
        """Allowed when every permission has a matching Allow and no matching Deny."""
        ancestry = set(self.tree.ancestors(question.compartment_id))
        rules = [r for r in self._rules_for(question.actor) if r.location_id in ancestry]
        hits: list[Hit] = []
        missing: list[str] = []
        for permission in question.permissions:
            variables = {
                **question.variables,
                "request.permission": (permission,),
                "request.operation": (question.operation,),
            }
            matched = [
                r
                for r in rules
                if permission in r.statement.permissions and holds(r.statement.condition, variables)
            ]
            denies = [r for r in matched if r.statement.effect == "deny"]
            allows = [r for r in matched if r.statement.effect == "allow"]
            deciding = denies or allows
            hits += [
                Hit(r.policy.name, r.statement.text, r.statement.effect, permission)
                for r in deciding
            ]
            if denies or not allows:
                missing.append(permission)
        return Decision(not missing and bool(question.permissions), tuple(hits), tuple(missing))


def _subject_key(subject: Subject) -> tuple[str, str]:
    if subject.kind in ("any-user", "any-group"):
        return (subject.kind, "")
    if subject.ocid is not None:
        return (f"{subject.kind}-id", subject.ocid)
    return (subject.kind, (subject.name or "").lower())


def holds(condition: Condition | None, variables: Mapping[str, tuple[str, ...]]) -> bool:
    """Evaluate a where-clause; a variable the request lacks makes its test false.

    Matching ignores case, as OCI's does ("condition matching is case insensitive").
    """
    if condition is None:
        return True
    if isinstance(condition, Combination):
        results = (holds(item, variables) for item in condition.items)
        return any(results) if condition.mode == "any" else all(results)
    values = variables.get(condition.variable)
    if not values:
        return False
    if isinstance(condition, Membership):
        wanted = {value.lower() for value in condition.values}
        inside = any(v.lower() in wanted for v in values)
        return inside != condition.negated
    assert isinstance(condition, Compare)
    if condition.is_pattern:
        pattern = _pattern(condition.value)
        equal = any(pattern.fullmatch(v) is not None for v in values)
    else:
        expected = condition.value.lower()
        equal = any(v.lower() == expected for v in values)
    return equal != condition.negated


@lru_cache(maxsize=1024)
def _pattern(glob: str) -> re.Pattern[str]:
    parts = (re.escape(part) for part in glob.split("*"))
    return re.compile(".*".join(parts), re.IGNORECASE | re.DOTALL)
