"""Authorizing a call on a key: its IAM decision and the key's own policy together.

:func:`strongroom.services.authz.authorize` asks here whenever its target is a key, whatever
API the call came through (a key is one object). A key without a policy of its own has the
default one, which leaves everything to IAM: for it (the common case, and every key the OCI
API made) the answer is IAM's, as it always was, and costs one more cache lookup. With a
policy, :func:`strongroom.iam.key_policy_eval.decide` combines the two: an explicit Deny
anywhere refuses; in the key's tenancy an Allow of either suffices; from another tenancy both
must allow, IAM asked in the caller's tenancy (its statements ``in tenancy`` apply, with the
key's ``target.key.id`` and ``target.vault.id``).

Policies are cached per key in ``deps.key_policies`` (parsed and bound once per stored
version): a write in this process drops them at once, other processes' writes are seen
within 2 seconds (at once on PostgreSQL, through the change feed).
"""

from __future__ import annotations

import functools

from strongroom.domain.identity import Principal
from strongroom.iam.key_policy import KeyPolicy, parse_key_policy
from strongroom.iam.key_policy_actions import actions_for
from strongroom.iam.key_policy_eval import KeyPolicyQuestion, decide, evaluate
from strongroom.iam.target import Target
from strongroom.services.ports import Deps, KeyPolicyRow

__all__ = ["compiled_policy", "key_call_allowed", "key_policy_of"]


def key_call_allowed(
    deps: Deps,
    principal: Principal,
    operation: str,
    permissions: tuple[str, ...],
    target: Target,
    source_ip: str | None = None,
) -> bool:
    """Whether ``principal`` may run ``operation`` (needing ``permissions``) on the key of
    ``target`` (``target.key_id`` set; ``target.tenancy_id`` the key's tenancy)."""
    assert target.key_id is not None
    key_tenancy = target.tenancy_id or principal.tenancy_id
    cross = key_tenancy != principal.tenancy_id
    policy = key_policy_of(deps, target.key_id)
    if policy is None and not cross:
        return deps.authorizer.is_allowed(principal, operation, permissions, target)
    if policy is None:
        return False  # the default policy names the key's own tenancy only
    if cross:
        # IAM of the caller's tenancy, at its root: the key is in none of its compartments.
        target = target._replace(tenancy_id=None, compartment_id=None)
    iam = deps.authorizer.decide(principal, operation, permissions, target)
    question = KeyPolicyQuestion(
        tenancy_id=principal.tenancy_id,
        principal_id=principal.user_id,
        principal_type=principal.principal_type,
        key_tenancy_id=key_tenancy,
        actions=actions_for(operation, permissions),
        source_ip=source_ip,
    )
    return decide(
        iam_allowed=iam.allowed,
        iam_denied=any(hit.effect == "deny" for hit in iam.hits),
        key_policy=evaluate(policy, question),
        cross_tenancy=cross,
    )


def key_policy_of(deps: Deps, key_id: str) -> KeyPolicy | None:
    """The key's own policy, parsed and bound; None when it has the default one. Cached (may
    raise WouldBlock where blocking is forbidden, before touching storage)."""
    row: KeyPolicyRow = deps.key_policies.fetch(key_id, lambda: _load(deps, key_id))
    return row[0]


def _load(deps: Deps, key_id: str) -> KeyPolicyRow:
    with deps.db.transaction(read_only=True) as tx:
        record = tx.key_policies.get(key_id)
    if record is None:
        return (None,)
    return (compiled_policy(record.document, tuple(sorted(record.bindings.items()))),)


@functools.lru_cache(maxsize=256)
def compiled_policy(document: str, bindings: tuple[tuple[str, str], ...]) -> KeyPolicy:
    """A stored document parsed, its user names bound (parsed once per stored version, not
    on every reload of the cache). It was checked when set, so it parses."""
    return parse_key_policy(document).bound(dict(bindings))
