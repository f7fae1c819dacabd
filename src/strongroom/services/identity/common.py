"""Validation, loading and results shared by the identity use cases."""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.domain.errors import InvalidParameter, NotFound
from strongroom.domain.identity import Group, User
from strongroom.domain.tags import no_controls
from strongroom.iam.target import Target
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.lookup import NOT_FOUND
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "Deleted",
    "description",
    "group_for",
    "identity_name",
    "tenancy_target",
    "user_for",
]

_NAME = re.compile(r"^[A-Za-z0-9_.\-@+]{1,100}$")


@dataclass(frozen=True)
class Deleted:
    """The result of a Delete* or Remove* use case: the id of what is gone."""

    id: str


def identity_name(value: object, field: str = "name") -> str:
    """Names usable inside policy statements without quoting: no spaces, quotes or operators."""
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise InvalidParameter(f"{field} must be 1-100 characters of letters, digits and _ . - @ +")
    if value.lower() in ("to", "in", "where", "id", "any-user", "any-group", "tenancy"):
        raise InvalidParameter(f"{field} may not be the policy keyword {value!r}")
    return value


def description(value: object, field: str = "description") -> str:
    """A free-text description of at most 400 characters (tab, LF and CR its only controls)."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 400:
        raise InvalidParameter(f"{field} must be a string of at most 400 characters")
    return no_controls(value, field, free_text=True)


def tenancy_target(call: Call, compartment_id: str | None = None, **ids: str) -> Target:
    """The policy target of an identity resource (they all live in the tenancy)."""
    tenancy = call.principal.tenancy_id
    return Target(tenancy, compartment_id or tenancy, **ids)


def user_for(deps: Deps, tx: Transaction, call: Call, user_id: str, operation: str) -> User:
    """A user of the caller's tenancy the caller may act on with ``operation``."""
    user = tx.identity.get_user(user_id)
    if user is None or user.tenancy_id != call.principal.tenancy_id:
        raise NotFound(NOT_FOUND)
    authorize(deps, call, operation, tenancy_target(call, user_id=user.id))
    return user


def group_for(deps: Deps, tx: Transaction, call: Call, group_id: str, operation: str) -> Group:
    """A group of the caller's tenancy the caller may act on with ``operation``."""
    group = tx.iam.get_group(group_id)
    if group is None or group.tenancy_id != call.principal.tenancy_id:
        raise NotFound(NOT_FOUND)
    authorize(deps, call, operation, tenancy_target(call, group_id=group.id))
    return group
