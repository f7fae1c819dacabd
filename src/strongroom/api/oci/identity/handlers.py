"""IdentityClient endpoints under /20160918: compartments, users, groups, memberships, API keys,
policies and dynamic groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from strongroom.api.oci import parse
from strongroom.api.oci.endpoint import Api, OciRequest, Reply
from strongroom.api.oci.identity import render as ir
from strongroom.domain import tags
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.ids import require_ocid
from strongroom.services.etags import etag_of
from strongroom.services.identity import compartments, oauth_clients, policies, users
from strongroom.services.identity.common import description, identity_name

T = TypeVar("T")


def paged(items: list[T], req: OciRequest, render: Callable[[T], dict[str, Any]]) -> Reply:
    """Identity lists are small: window them in memory with OCI's limit/page."""
    page = parse.page_request({k: v for k, v in req.query.items() if k in ("limit", "page")})
    window = items[page.offset : page.offset + page.limit]
    more = page.offset + page.limit < len(items)
    return Reply.page([render(i) for i in window], page.offset + page.limit if more else None)


def _versioned(body: dict[str, Any], resource_id: str, version: int) -> Reply:
    return Reply(body, etag=etag_of(resource_id, version))


def _tenancy_or_compartment(value: object, field: str = "compartmentId") -> str:
    return require_ocid(value, field, "tenancy", "compartment")


def _check_tenancy(req: OciRequest, value: object) -> None:
    if value is not None and value != req.call.principal.tenancy_id:
        require_ocid(value, "compartmentId", "tenancy")
        raise InvalidParameter("compartmentId must be the tenancy OCID for this resource")


# compartments ------------------------------------------------------------------------------
def create_compartment(api: Api, req: OciRequest) -> Reply:
    b = req.body
    c = compartments.create_compartment(
        api.deps,
        req.call,
        _tenancy_or_compartment(b.get("compartmentId")),
        identity_name(b.get("name")),
        description(b.get("description")),
        tags.freeform_tags(b.get("freeformTags")),
    )
    return _versioned(ir.compartment(c), c.id, c.version)


def get_compartment(api: Api, req: OciRequest) -> Reply:
    compartment_id = _tenancy_or_compartment(req.path["compartmentId"])
    c = compartments.get_compartment(api.deps, req.call, compartment_id)
    return _versioned(ir.compartment(c), c.id, c.version)


def list_compartments(api: Api, req: OciRequest) -> Reply:
    parent = _tenancy_or_compartment(req.query.get("compartmentId"))
    subtree = req.query.get("compartmentIdInSubtree", "false").lower() == "true"
    found = compartments.list_compartments(api.deps, req.call, parent, subtree)
    if "lifecycleState" in req.query:
        found = [c for c in found if c.lifecycle_state == req.query["lifecycleState"]]
    if "name" in req.query:
        found = [c for c in found if c.name == req.query["name"]]
    return paged(found, req, ir.compartment)


def update_compartment(api: Api, req: OciRequest) -> Reply:
    b = req.body
    changes = compartments.CompartmentChanges(
        name=identity_name(b["name"]) if "name" in b else None,
        description=description(b["description"]) if "description" in b else None,
        freeform_tags=tags.freeform_tags(b["freeformTags"]) if "freeformTags" in b else None,
    )
    compartment_id = require_ocid(req.path["compartmentId"], "compartmentId", "compartment")
    c = compartments.update_compartment(api.deps, req.call, compartment_id, changes, req.if_match)
    return _versioned(ir.compartment(c), c.id, c.version)


def delete_compartment(api: Api, req: OciRequest) -> Reply:
    compartment_id = require_ocid(req.path["compartmentId"], "compartmentId", "compartment")
    compartments.delete_compartment(api.deps, req.call, compartment_id, req.if_match)
    return Reply(None, 204)


# users, groups, memberships, API keys ------------------------------------------------------
def create_user(api: Api, req: OciRequest) -> Reply:
    b = req.body
    _check_tenancy(req, b.get("compartmentId"))
    u = users.create_user(
        api.deps, req.call, identity_name(b.get("name")), description(b.get("description"))
    )
    return Reply(ir.user(u))


def get_user(api: Api, req: OciRequest) -> Reply:
    return Reply(ir.user(users.get_user(api.deps, req.call, _user_id(req))))


def _user_id(req: OciRequest) -> str:
    return require_ocid(req.path["userId"], "userId", "user")


def list_users(api: Api, req: OciRequest) -> Reply:
    _check_tenancy(req, req.query.get("compartmentId"))
    return paged(users.list_users(api.deps, req.call), req, ir.user)


def update_user(api: Api, req: OciRequest) -> Reply:
    u = users.update_user(
        api.deps, req.call, _user_id(req), description(req.body.get("description"))
    )
    return Reply(ir.user(u))


def delete_user(api: Api, req: OciRequest) -> Reply:
    users.delete_user(api.deps, req.call, _user_id(req))
    return Reply(None, 204)


def create_group(api: Api, req: OciRequest) -> Reply:
    b = req.body
    _check_tenancy(req, b.get("compartmentId"))
    g = users.create_group(
        api.deps, req.call, identity_name(b.get("name")), description(b.get("description"))
    )
    return Reply(ir.group(g))


def _group_id(req: OciRequest) -> str:
    return require_ocid(req.path["groupId"], "groupId", "group")


def get_group(api: Api, req: OciRequest) -> Reply:
    return Reply(ir.group(users.get_group(api.deps, req.call, _group_id(req))))


def list_groups(api: Api, req: OciRequest) -> Reply:
    _check_tenancy(req, req.query.get("compartmentId"))
    return paged(users.list_groups(api.deps, req.call), req, ir.group)


def update_group(api: Api, req: OciRequest) -> Reply:
    g = users.update_group(
        api.deps, req.call, _group_id(req), description(req.body.get("description"))
    )
    return Reply(ir.group(g))


def delete_group(api: Api, req: OciRequest) -> Reply:
    users.delete_group(api.deps, req.call, _group_id(req))
    return Reply(None, 204)


def add_user_to_group(api: Api, req: OciRequest) -> Reply:
    b = req.body
    m = users.add_user_to_group(
        api.deps,
        req.call,
        require_ocid(b.get("userId"), "userId", "user"),
        require_ocid(b.get("groupId"), "groupId", "group"),
    )
    return Reply(ir.membership(m))


def _membership_id(req: OciRequest) -> str:
    return require_ocid(req.path["membershipId"], "userGroupMembershipId", "groupmembership")


def get_membership(api: Api, req: OciRequest) -> Reply:
    return Reply(ir.membership(users.get_membership(api.deps, req.call, _membership_id(req))))


def list_memberships(api: Api, req: OciRequest) -> Reply:
    _check_tenancy(req, req.query.get("compartmentId"))
    user_id = req.query.get("userId")
    group_id = req.query.get("groupId")
    found = users.list_memberships(
        api.deps,
        req.call,
        require_ocid(user_id, "userId", "user") if user_id else None,
        require_ocid(group_id, "groupId", "group") if group_id else None,
    )
    return paged(found, req, ir.membership)


def remove_user_from_group(api: Api, req: OciRequest) -> Reply:
    users.remove_user_from_group(api.deps, req.call, _membership_id(req))
    return Reply(None, 204)


def upload_api_key(api: Api, req: OciRequest) -> Reply:
    key_id, key = users.upload_api_key(
        api.deps, req.call, _user_id(req), parse.required_string(req.body, "key", max_len=16384)
    )
    return Reply(ir.api_key(key_id, key))


def list_api_keys(api: Api, req: OciRequest) -> Reply:
    found = users.list_api_keys(api.deps, req.call, _user_id(req))
    return Reply([ir.api_key(key_id, key) for key_id, key in found])


def delete_api_key(api: Api, req: OciRequest) -> Reply:
    users.delete_api_key(api.deps, req.call, _user_id(req), req.path["fingerprint"])
    return Reply(None, 204)


# policies and dynamic groups ---------------------------------------------------------------
def create_policy(api: Api, req: OciRequest) -> Reply:
    b = req.body
    p = policies.create_policy(
        api.deps,
        req.call,
        _tenancy_or_compartment(b.get("compartmentId")),
        identity_name(b.get("name")),
        description(b.get("description")),
        b.get("statements"),  # type: ignore[arg-type]
    )
    return _versioned(ir.policy(p), p.id, p.version)


def _policy_id(req: OciRequest) -> str:
    return require_ocid(req.path["policyId"], "policyId", "policy")


def get_policy(api: Api, req: OciRequest) -> Reply:
    p = policies.get_policy(api.deps, req.call, _policy_id(req))
    return _versioned(ir.policy(p), p.id, p.version)


def list_policies(api: Api, req: OciRequest) -> Reply:
    compartment = _tenancy_or_compartment(req.query.get("compartmentId"))
    return paged(policies.list_policies(api.deps, req.call, compartment), req, ir.policy)


def update_policy(api: Api, req: OciRequest) -> Reply:
    b = req.body
    p = policies.update_policy(
        api.deps,
        req.call,
        _policy_id(req),
        description(b["description"]) if "description" in b else None,
        b.get("statements"),
        req.if_match,
    )
    return _versioned(ir.policy(p), p.id, p.version)


def delete_policy(api: Api, req: OciRequest) -> Reply:
    policies.delete_policy(api.deps, req.call, _policy_id(req), req.if_match)
    return Reply(None, 204)


def create_dynamic_group(api: Api, req: OciRequest) -> Reply:
    b = req.body
    _check_tenancy(req, b.get("compartmentId"))
    g = policies.create_dynamic_group(
        api.deps,
        req.call,
        identity_name(b.get("name")),
        description(b.get("description")),
        b.get("matchingRule"),  # type: ignore[arg-type]
    )
    return _versioned(ir.dynamic_group(g), g.id, g.version)


def _dynamic_group_id(req: OciRequest) -> str:
    return require_ocid(req.path["dynamicGroupId"], "dynamicGroupId", "dynamicgroup")


def get_dynamic_group(api: Api, req: OciRequest) -> Reply:
    g = policies.get_dynamic_group(api.deps, req.call, _dynamic_group_id(req))
    return _versioned(ir.dynamic_group(g), g.id, g.version)


def list_dynamic_groups(api: Api, req: OciRequest) -> Reply:
    _check_tenancy(req, req.query.get("compartmentId"))
    return paged(policies.list_dynamic_groups(api.deps, req.call), req, ir.dynamic_group)


def update_dynamic_group(api: Api, req: OciRequest) -> Reply:
    b = req.body
    g = policies.update_dynamic_group(
        api.deps,
        req.call,
        _dynamic_group_id(req),
        description(b["description"]) if "description" in b else None,
        b.get("matchingRule"),
        req.if_match,
    )
    return _versioned(ir.dynamic_group(g), g.id, g.version)


def delete_dynamic_group(api: Api, req: OciRequest) -> Reply:
    policies.delete_dynamic_group(api.deps, req.call, _dynamic_group_id(req), req.if_match)
    return Reply(None, 204)


# OAuth2 client credentials -----------------------------------------------------------------
def create_oauth_credential(api: Api, req: OciRequest) -> Reply:
    b = req.body
    made = oauth_clients.create_credential(
        api.deps,
        req.call,
        _user_id(req),
        identity_name(b.get("name")),
        description(b.get("description")),
        b.get("scopes"),
    )
    return Reply({**ir.oauth_credential(made.application), "password": made.secret})


def list_oauth_credentials(api: Api, req: OciRequest) -> Reply:
    found = oauth_clients.list_credentials(api.deps, req.call, _user_id(req))
    return Reply([ir.oauth_credential(a) for a in found])


def delete_oauth_credential(api: Api, req: OciRequest) -> Reply:
    credential = require_ocid(req.path["credentialId"], "oauth2ClientCredentialId", "credential")
    oauth_clients.delete_credential(api.deps, req.call, _user_id(req), credential)
    return Reply(None, 204)
