"""Deciding with a key policy, and with a key policy beside IAM. Pure.

:func:`evaluate` answers what a key's policy says of one call: ``DENY`` when a statement
denies one of the actions the call needs, ``ALLOW`` when statements allow every one of them,
else ``NONE``. A statement applies to the caller when one of its principals names the caller's
tenancy (every principal of it) or the caller (a user), its action entries cover the action
and its conditions hold. Two rules follow Alibaba's (and AWS's) meaning of an account:

- an Allow to the key's *own* tenancy as a whole (the default policy's
  ``acs:ram::<tenancy>:*``) grants nothing by itself: it leaves the tenancy's IAM policies
  to decide; an Allow to a user grants;
- principals of another tenancy are granted the key users' actions only (``kms:*`` to
  another tenancy grants Encrypt, Decrypt, DescribeKey..., never SetKeyPolicy).

:func:`decide` then combines that with the caller's IAM policies (the issue's rules):

- an explicit Deny anywhere (IAM or the key policy) refuses;
- within the key's tenancy, an Allow of IAM *or* of the key policy suffices;
- from another tenancy, both must allow: IAM in the caller's tenancy and the key policy.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import Enum

from strongroom.iam.key_policy import IpCondition, KeyPolicy, KeyStatement, RamPrincipal
from strongroom.iam.key_policy_actions import covers, is_user_action

__all__ = ["Effect", "KeyPolicyQuestion", "decide", "evaluate"]


class Effect(Enum):
    """What a key policy says of a call."""

    ALLOW = "allow"
    DENY = "deny"
    NONE = "none"


@dataclass(frozen=True)
class KeyPolicyQuestion:
    """One call on a key: who calls (tenancy, user or other principal id, principal type),
    the key's tenancy, the (lower-case) actions needed, and the caller's address if known."""

    tenancy_id: str
    principal_id: str
    principal_type: str
    key_tenancy_id: str
    actions: tuple[str, ...]
    source_ip: str | None = None

    @property
    def cross_tenancy(self) -> bool:
        return self.tenancy_id != self.key_tenancy_id


def evaluate(policy: KeyPolicy, question: KeyPolicyQuestion) -> Effect:
    """``DENY`` if a statement that applies denies one of the actions, ``ALLOW`` if every
    action is allowed by one that applies (see the module), else ``NONE``."""
    statements = [
        s
        for s in policy.statements
        if any(_names(p, question) for p in s.principals) and _conditions_hold(s, question)
    ]
    allowed_all = bool(question.actions)
    for action in question.actions:
        matching = [s for s in statements if any(covers(e, action) for e in s.actions)]
        if any(s.effect == "deny" for s in matching):
            return Effect.DENY
        if not any(_grants(s, action, question) for s in matching if s.effect == "allow"):
            allowed_all = False
    return Effect.ALLOW if allowed_all else Effect.NONE


def decide(*, iam_allowed: bool, iam_denied: bool, key_policy: Effect, cross_tenancy: bool) -> bool:
    """Whether a call on a key may run: IAM's answer (allowed; explicitly denied) and the key
    policy's, by the rules of the module."""
    if iam_denied or key_policy is Effect.DENY:
        return False
    if cross_tenancy:
        return iam_allowed and key_policy is Effect.ALLOW
    return iam_allowed or key_policy is Effect.ALLOW


def _names(principal: RamPrincipal, question: KeyPolicyQuestion) -> bool:
    """Whether the principal names the caller (a user only as a user principal)."""
    if principal.tenancy_id != question.tenancy_id:
        return False
    if principal.user is None:
        return True
    return question.principal_type == "user" and principal.user == question.principal_id


def _grants(statement: KeyStatement, action: str, question: KeyPolicyQuestion) -> bool:
    """Whether an Allow that applies grants ``action`` (see the module's two rules)."""
    if question.cross_tenancy and not is_user_action(action):
        return False
    return any(
        _names(p, question) and (p.user is not None or question.cross_tenancy)
        for p in statement.principals
    )


def _conditions_hold(statement: KeyStatement, question: KeyPolicyQuestion) -> bool:
    return all(_holds(c, question.source_ip) for c in statement.conditions)


def _holds(condition: IpCondition, source_ip: str | None) -> bool:
    """A test on the caller's address. Without one (a call made inside Strongroom) the
    positive test fails and the negated one holds, as AWS has it: a Deny "unless from these
    networks" still denies."""
    if source_ip is None:
        return condition.negated
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return condition.negated
    inside = any(address in network for network in condition.networks)
    return inside != condition.negated
