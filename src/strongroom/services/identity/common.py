"""Validation and targets shared by the identity use cases."""

from __future__ import annotations

import re

from strongroom.domain.errors import InvalidParameter
from strongroom.iam.target import Target
from strongroom.services.context import Call
from strongroom.services.ports import Deps

_NAME = re.compile(r"^[A-Za-z0-9_.\-@+]{1,100}$")


def identity_name(value: object, field: str = "name") -> str:
    """Names usable inside policy statements without quoting: no spaces, quotes or operators."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise InvalidParameter(f"{field} must be 1-100 characters of letters, digits and _ . - @ +")
    if value.lower() in ("to", "in", "where", "id", "any-user", "any-group", "tenancy"):
        raise InvalidParameter(f"{field} may not be the policy keyword {value!r}")
    return value


def description(value: object, field: str = "description") -> str:
    """A free-text description of at most 400 characters."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 400:
        raise InvalidParameter(f"{field} must be a string of at most 400 characters")
    return value


def tenancy_target(call: Call, compartment_id: str | None = None, **ids: str) -> Target:
    """The policy target of an identity resource (they all live in the tenancy)."""
    tenancy = call.principal.tenancy_id
    return Target(tenancy, compartment_id or tenancy, **ids)


def identity_changed(deps: Deps) -> None:
    """Make an identity change effective at once in this process."""
    deps.credentials.clear()
    invalidate = getattr(deps.authorizer, "invalidate", None)
    if invalidate is not None:
        invalidate()
