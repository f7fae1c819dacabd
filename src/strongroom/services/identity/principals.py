"""The principal of a user as identity stores it: the user and the groups it belongs to."""

from __future__ import annotations

from strongroom.domain.identity import Principal
from strongroom.storage.unit_of_work import Transaction

__all__ = ["user_principal"]


def user_principal(tx: Transaction, tenancy_id: str, user_id: str) -> Principal | None:
    """The ACTIVE user ``user_id`` of ``tenancy_id`` as a principal; None otherwise."""
    user = tx.identity.get_user(user_id)
    if user is None or user.tenancy_id != tenancy_id or user.lifecycle_state != "ACTIVE":
        return None
    groups = tx.identity.groups_of(user_id)
    return Principal(
        tenancy_id=tenancy_id,
        user_id=user_id,
        group_ids=frozenset(g.id for g in groups),
        group_names=frozenset(g.name for g in groups),
    )
