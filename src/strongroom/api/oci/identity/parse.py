"""IdentityClient request helpers beyond :mod:`strongroom.api.oci.parse`: ids from paths,
bodies and queries, the tenancy-only compartmentId, optional fields and the list window."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from strongroom.api.oci import parse
from strongroom.api.oci.endpoint import OciRequest
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.ids import require_ocid
from strongroom.domain.paging import PageRequest

__all__ = [
    "as_sent",
    "check_tenancy",
    "compartment_id",
    "customer_secret_key_id",
    "dynamic_group_id",
    "group_id",
    "membership_id",
    "optional",
    "optional_id",
    "page",
    "policy_id",
    "tenancy_or_compartment",
    "user_id",
]

T = TypeVar("T")


def tenancy_or_compartment(value: object, field: str = "compartmentId") -> str:
    """The OCID of the tenancy or of one of its compartments."""
    return require_ocid(value, field, "tenancy", "compartment")


def check_tenancy(req: OciRequest, value: object) -> None:
    """Users, groups, memberships and dynamic groups live in the tenancy: a compartmentId given
    for them must be the caller's tenancy."""
    if value is not None and value != req.call.principal.tenancy_id:
        require_ocid(value, "compartmentId", "tenancy")
        raise InvalidParameter("compartmentId must be the tenancy OCID for this resource")


def compartment_id(req: OciRequest) -> str:
    """The path's compartmentId, which must name a compartment (not the tenancy)."""
    return require_ocid(req.path["compartmentId"], "compartmentId", "compartment")


def user_id(req: OciRequest) -> str:
    """The path's userId."""
    return require_ocid(req.path["userId"], "userId", "user")


def customer_secret_key_id(req: OciRequest) -> str:
    """The path's customerSecretKeyId."""
    return require_ocid(req.path["customerSecretKeyId"], "customerSecretKeyId", "credential")


def group_id(req: OciRequest) -> str:
    """The path's groupId."""
    return require_ocid(req.path["groupId"], "groupId", "group")


def membership_id(req: OciRequest) -> str:
    """The path's membershipId."""
    return require_ocid(req.path["membershipId"], "userGroupMembershipId", "groupmembership")


def policy_id(req: OciRequest) -> str:
    """The path's policyId."""
    return require_ocid(req.path["policyId"], "policyId", "policy")


def dynamic_group_id(req: OciRequest) -> str:
    """The path's dynamicGroupId."""
    return require_ocid(req.path["dynamicGroupId"], "dynamicGroupId", "dynamicgroup")


def optional_id(value: str | None, field: str, kind: str) -> str | None:
    """An OCID of ``kind`` when given (an empty query value counts as not given)."""
    return require_ocid(value, field, kind) if value else None


def optional(body: parse.Body, name: str, check: Callable[[Any], T]) -> T | None:
    """``check(body[name])`` when the field is present (even as null), else None: unchanged."""
    return check(body[name]) if name in body else None


def as_sent(body: parse.Body, name: str, *, free_text: bool = False) -> Any:
    """A field as JSON sent it (None when absent), for a use case that checks its shape in
    full; a control character in any string inside it is refused here (tab, LF and CR
    allowed in ``free_text``: statements, matching rules)."""
    value = body.get(name)
    parse.no_controls_in(value, name, free_text=free_text)
    return value


def page(req: OciRequest) -> PageRequest:
    """OCI's limit and page of an identity list (read after the use case, as always)."""
    return parse.page_request({k: v for k, v in req.query.items() if k in ("limit", "page")})
