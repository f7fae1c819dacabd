"""The principal of a user as identity stores it: the user and the groups it belongs to."""

from __future__ import annotations

from strongroom.domain.errors import NotFound
from strongroom.domain.identity import Principal
from strongroom.services.context import Call
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = ["operator_call", "user_principal"]


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


def operator_call(deps: Deps, tenancy_id: str, user_id: str) -> Call:
    """A call by the ACTIVE user ``user_id`` made from the ``strongroom`` command line (an
    operator acting as that user, subject to its policies); NotFound for any other user."""
    with deps.db.transaction(read_only=True) as tx:
        principal = user_principal(tx, tenancy_id, user_id)
    if principal is None:
        raise NotFound(f"No ACTIVE user {user_id} in tenancy {tenancy_id}")
    return Call(principal=principal, request_id=f"cli-{deps.random_bytes(16).hex()}")
