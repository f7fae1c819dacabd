"""The IAM authorizer: the tenancy's policies, compiled and cached, decide every call."""

from __future__ import annotations

import functools
import logging

from strongroom.domain.identity import PolicyRecord, Principal
from strongroom.iam.evaluator import Actor, Decision, PolicySet, Question
from strongroom.iam.policy_ast import PolicySyntaxError, Statement
from strongroom.iam.policy_parser import parse_statement
from strongroom.iam.target import Target
from strongroom.services.caches import Refresher, TTLCache
from strongroom.services.identity.policy_binding import (
    UnresolvedPolicy,
    compile_policy,
    load_directory,
)
from strongroom.storage.unit_of_work import Database

__all__ = ["PolicyAuthorizer"]

log = logging.getLogger("strongroom.iam")
# Statements are re-read with the policies every TTL, and mostly unchanged: parse each text
# once (the syntax tree is immutable; errors are not cached, so they are logged each time).
_parse = functools.lru_cache(maxsize=8192)(parse_statement)


def _parsed(record: PolicyRecord) -> list[tuple[int, Statement]]:
    """The record's statements that parse, with their 1-based index."""
    parsed = []
    for index, text in enumerate(record.statements, start=1):
        try:
            parsed.append((index, _parse(text, index)))
        except PolicySyntaxError:
            log.error("policy %s statement %d no longer parses; ignored", record.id, index)
    return parsed


class PolicyAuthorizer:
    """Decides with the caller's tenancy's policies; writers call :meth:`invalidate`.

    Another process sharing the database sees a policy or compartment change within the TTL.
    """

    def __init__(
        self,
        db: Database,
        region: str,
        ttl_seconds: float = 2.0,
        refresher: Refresher | None = None,
    ) -> None:
        self._db = db
        self._region = region
        refresh = ttl_seconds / 2  # reloaded ahead of expiry under load (see TTLCache)
        self._sets: TTLCache[PolicySet] = TTLCache(
            ttl_seconds, refresh_after=refresh, refresher=refresher, name="policy_sets"
        )
        # Decisions repeat (the same caller, operation and key, many times a second); they are
        # a pure function of the compiled policies, so they live and die with them.
        self._decisions: TTLCache[Decision] = TTLCache(
            ttl_seconds,
            max_entries=50_000,
            refresh_after=refresh,
            refresher=refresher,
            name="policy_decisions",
        )
        # What the last compilation of each tenancy's policies found unresolved, and the
        # warnings already logged (one per policy version, not one per reload).
        self._unresolved: dict[str, tuple[UnresolvedPolicy, ...]] = {}
        self._warned: set[tuple[str, int, tuple[str, ...]]] = set()

    def invalidate(self) -> None:
        """Forget compiled policies (after any policy, compartment or group change)."""
        self._sets.clear()
        self._decisions.clear()

    def policy_set(self, tenancy_id: str) -> PolicySet:
        """The tenancy's policies compiled against its compartment tree."""
        return self._sets.fetch(tenancy_id, lambda: self._load(tenancy_id))

    def unresolved(self, tenancy_id: str) -> tuple[UnresolvedPolicy, ...]:
        """The tenancy's policies that name what does not resolve (as last compiled)."""
        self.policy_set(tenancy_id)
        return self._unresolved.get(tenancy_id, ())

    def _load(self, tenancy_id: str) -> PolicySet:
        with self._db.transaction(read_only=True) as tx:
            records = [p for p in tx.iam.policies(tenancy_id) if p.lifecycle_state == "ACTIVE"]
            directory = load_directory(tx, tenancy_id)
        policies = []
        unresolved = []
        for record in records:
            policy, report = compile_policy(record, _parsed(record), directory)
            policies.append(policy)
            if report is not None:
                unresolved.append(report)
                self._warn(report, record.version)
        self._unresolved[tenancy_id] = tuple(unresolved)
        return PolicySet(policies, directory.tree)

    def _warn(self, report: UnresolvedPolicy, version: int) -> None:
        """One warning per policy (and version) whose names do not resolve, not one per reload."""
        key = (report.policy_id, version, report.names)
        if key in self._warned:
            return
        self._warned.add(key)
        log.warning(
            "policy %r (%s) names what does not resolve, which grants nothing: %s",
            report.policy_name,
            report.policy_id,
            "; ".join(report.names),
        )

    def decide(
        self,
        principal: Principal,
        operation: str,
        permissions: tuple[str, ...],
        target: Target,
    ) -> Decision:
        """The decision and the statements behind it."""
        cache_key = (
            principal.tenancy_id,
            principal.user_id,
            principal.principal_type,
            principal.group_ids,
            principal.dynamic_group_ids,
            operation,
            permissions,
            target,
        )
        cached = self._decisions.get(cache_key)
        if cached is not None:
            return cached
        generation = self._decisions.generation()
        decision = self._decide(principal, operation, permissions, target)
        self._decisions.put(cache_key, decision, generation)
        return decision

    def _decide(
        self,
        principal: Principal,
        operation: str,
        permissions: tuple[str, ...],
        target: Target,
    ) -> Decision:
        actor = Actor(
            id=principal.user_id,
            principal_type=principal.principal_type,
            group_ids=principal.group_ids,
            group_names=principal.group_names,
            dynamic_group_ids=principal.dynamic_group_ids,
            dynamic_group_names=principal.dynamic_group_names,
        )
        variables = target.variables()
        variables.update(
            {
                "request.user.id": (principal.user_id,),
                "request.principal.id": (principal.user_id,),
                "request.principal.type": (principal.principal_type,),
                "request.groups.id": tuple(principal.group_ids),
                "request.region": (self._region,),
            }
        )
        compartment = target.compartment_id or principal.tenancy_id
        question = Question(actor, operation, permissions, compartment, variables)
        return self.policy_set(principal.tenancy_id).decide(question)

    def is_allowed(
        self,
        principal: Principal,
        operation: str,
        permissions: tuple[str, ...],
        target: Target,
    ) -> bool:
        return self.decide(principal, operation, permissions, target).allowed
