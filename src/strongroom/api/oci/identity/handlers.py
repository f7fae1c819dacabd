"""IdentityClient endpoints under /20160918, one per operation: compartments, users, API keys,
customer secret keys, OAuth2 client credentials, groups, memberships, policies and dynamic groups.

Each parses the request into its use case's request, calls the use case and renders the result.
"""

from __future__ import annotations

from strongroom.api.oci import parse
from strongroom.api.oci.endpoint import Api, OciRequest, Reply
from strongroom.api.oci.identity import parse as ip
from strongroom.api.oci.identity import render as ir
from strongroom.domain import tags
from strongroom.domain.ids import require_ocid
from strongroom.services.identity import (
    api_keys,
    compartments,
    customer_secret_keys,
    dynamic_groups,
    groups,
    memberships,
    oauth_clients,
    policies,
    users,
)
from strongroom.services.identity.common import description, identity_name

__all__ = [
    "add_user_to_group",
    "create_compartment",
    "create_customer_secret_key",
    "create_dynamic_group",
    "create_group",
    "create_oauth_client_credential",
    "create_policy",
    "create_user",
    "delete_api_key",
    "delete_compartment",
    "delete_customer_secret_key",
    "delete_dynamic_group",
    "delete_group",
    "delete_oauth_client_credential",
    "delete_policy",
    "delete_user",
    "get_compartment",
    "get_dynamic_group",
    "get_group",
    "get_policy",
    "get_user",
    "get_user_group_membership",
    "list_api_keys",
    "list_compartments",
    "list_customer_secret_keys",
    "list_dynamic_groups",
    "list_groups",
    "list_oauth_client_credentials",
    "list_policies",
    "list_user_group_memberships",
    "list_users",
    "remove_user_from_group",
    "update_compartment",
    "update_customer_secret_key",
    "update_dynamic_group",
    "update_group",
    "update_policy",
    "update_user",
    "upload_api_key",
]

NO_CONTENT = 204


# compartments ------------------------------------------------------------------------------
def create_compartment(api: Api, req: OciRequest) -> Reply:
    b = req.body
    request = compartments.CreateCompartmentRequest(
        compartment_id=ip.tenancy_or_compartment(b.get("compartmentId")),
        name=identity_name(b.get("name")),
        description=description(b.get("description")),
        freeform_tags=tags.freeform_tags(b.get("freeformTags")),
    )
    c = compartments.create_compartment(api.deps, req.call, request)
    return ir.versioned(ir.compartment(c), c.id, c.version)


def get_compartment(api: Api, req: OciRequest) -> Reply:
    compartment_id = ip.tenancy_or_compartment(req.path["compartmentId"])
    request = compartments.GetCompartmentRequest(compartment_id)
    c = compartments.get_compartment(api.deps, req.call, request)
    return ir.versioned(ir.compartment(c), c.id, c.version)


def list_compartments(api: Api, req: OciRequest) -> Reply:
    q = req.query
    request = compartments.ListCompartmentsRequest(
        compartment_id=ip.tenancy_or_compartment(q.get("compartmentId")),
        compartment_id_in_subtree=q.get("compartmentIdInSubtree", "false").lower() == "true",
        lifecycle_state=q.get("lifecycleState"),
        name=q.get("name"),
    )
    found = compartments.list_compartments(api.deps, req.call, request)
    return ir.window(found.items, ip.page(req), ir.compartment)


def update_compartment(api: Api, req: OciRequest) -> Reply:
    b = req.body
    name = ip.optional(b, "name", identity_name)
    about = ip.optional(b, "description", description)
    freeform = ip.optional(b, "freeformTags", tags.freeform_tags)
    request = compartments.UpdateCompartmentRequest(
        ip.compartment_id(req), name, about, freeform, req.if_match
    )
    c = compartments.update_compartment(api.deps, req.call, request)
    return ir.versioned(ir.compartment(c), c.id, c.version)


def delete_compartment(api: Api, req: OciRequest) -> Reply:
    request = compartments.DeleteCompartmentRequest(ip.compartment_id(req), req.if_match)
    compartments.delete_compartment(api.deps, req.call, request)
    return Reply(None, NO_CONTENT)


# users and their API keys and OAuth2 client credentials --------------------------------------
def create_user(api: Api, req: OciRequest) -> Reply:
    b = req.body
    ip.check_tenancy(req, b.get("compartmentId"))
    request = users.CreateUserRequest(
        identity_name(b.get("name")), description(b.get("description"))
    )
    return Reply(ir.user(users.create_user(api.deps, req.call, request)))


def get_user(api: Api, req: OciRequest) -> Reply:
    request = users.GetUserRequest(ip.user_id(req))
    return Reply(ir.user(users.get_user(api.deps, req.call, request)))


def list_users(api: Api, req: OciRequest) -> Reply:
    ip.check_tenancy(req, req.query.get("compartmentId"))
    found = users.list_users(api.deps, req.call, users.ListUsersRequest())
    return ir.window(found.items, ip.page(req), ir.user)


def update_user(api: Api, req: OciRequest) -> Reply:
    request = users.UpdateUserRequest(ip.user_id(req), description(req.body.get("description")))
    return Reply(ir.user(users.update_user(api.deps, req.call, request)))


def delete_user(api: Api, req: OciRequest) -> Reply:
    users.delete_user(api.deps, req.call, users.DeleteUserRequest(ip.user_id(req)))
    return Reply(None, NO_CONTENT)


def upload_api_key(api: Api, req: OciRequest) -> Reply:
    request = api_keys.UploadApiKeyRequest(
        ip.user_id(req), parse.required_string(req.body, "key", max_len=16384, free_text=True)
    )
    return Reply(ir.api_key(api_keys.upload_api_key(api.deps, req.call, request)))


def list_api_keys(api: Api, req: OciRequest) -> Reply:
    request = api_keys.ListApiKeysRequest(ip.user_id(req))
    found = api_keys.list_api_keys(api.deps, req.call, request)
    return Reply([ir.api_key(k) for k in found.items])


def delete_api_key(api: Api, req: OciRequest) -> Reply:
    request = api_keys.DeleteApiKeyRequest(ip.user_id(req), req.path["fingerprint"])
    api_keys.delete_api_key(api.deps, req.call, request)
    return Reply(None, NO_CONTENT)


def create_customer_secret_key(api: Api, req: OciRequest) -> Reply:
    name = customer_secret_keys.display_name(req.body.get("displayName"))
    request = customer_secret_keys.CreateCustomerSecretKeyRequest(ip.user_id(req), name)
    made = customer_secret_keys.create_customer_secret_key(api.deps, req.call, request)
    return Reply(ir.created_customer_secret_key(made))


def list_customer_secret_keys(api: Api, req: OciRequest) -> Reply:
    request = customer_secret_keys.ListCustomerSecretKeysRequest(ip.user_id(req))
    found = customer_secret_keys.list_customer_secret_keys(api.deps, req.call, request)
    return Reply([ir.customer_secret_key(k) for k in found.items])


def update_customer_secret_key(api: Api, req: OciRequest) -> Reply:
    name = ip.optional(req.body, "displayName", customer_secret_keys.display_name)
    request = customer_secret_keys.UpdateCustomerSecretKeyRequest(
        ip.user_id(req), ip.customer_secret_key_id(req), name
    )
    key = customer_secret_keys.update_customer_secret_key(api.deps, req.call, request)
    return Reply(ir.customer_secret_key(key))


def delete_customer_secret_key(api: Api, req: OciRequest) -> Reply:
    request = customer_secret_keys.DeleteCustomerSecretKeyRequest(
        ip.user_id(req), ip.customer_secret_key_id(req)
    )
    customer_secret_keys.delete_customer_secret_key(api.deps, req.call, request)
    return Reply(None, NO_CONTENT)


def create_oauth_client_credential(api: Api, req: OciRequest) -> Reply:
    b = req.body
    request = oauth_clients.CreateOAuthClientCredentialRequest(
        user_id=ip.user_id(req),
        name=identity_name(b.get("name")),
        description=description(b.get("description")),
        scopes=ip.as_sent(b, "scopes"),
    )
    made = oauth_clients.create_oauth_client_credential(api.deps, req.call, request)
    return Reply(ir.created_oauth_credential(made))


def list_oauth_client_credentials(api: Api, req: OciRequest) -> Reply:
    request = oauth_clients.ListOAuthClientCredentialsRequest(ip.user_id(req))
    found = oauth_clients.list_oauth_client_credentials(api.deps, req.call, request)
    return Reply([ir.oauth_credential(a) for a in found.items])


def delete_oauth_client_credential(api: Api, req: OciRequest) -> Reply:
    credential = require_ocid(req.path["credentialId"], "oauth2ClientCredentialId", "credential")
    request = oauth_clients.DeleteOAuthClientCredentialRequest(ip.user_id(req), credential)
    oauth_clients.delete_oauth_client_credential(api.deps, req.call, request)
    return Reply(None, NO_CONTENT)


# groups and memberships --------------------------------------------------------------------
def create_group(api: Api, req: OciRequest) -> Reply:
    b = req.body
    ip.check_tenancy(req, b.get("compartmentId"))
    request = groups.CreateGroupRequest(
        identity_name(b.get("name")), description(b.get("description"))
    )
    return Reply(ir.group(groups.create_group(api.deps, req.call, request)))


def get_group(api: Api, req: OciRequest) -> Reply:
    request = groups.GetGroupRequest(ip.group_id(req))
    return Reply(ir.group(groups.get_group(api.deps, req.call, request)))


def list_groups(api: Api, req: OciRequest) -> Reply:
    ip.check_tenancy(req, req.query.get("compartmentId"))
    found = groups.list_groups(api.deps, req.call, groups.ListGroupsRequest())
    return ir.window(found.items, ip.page(req), ir.group)


def update_group(api: Api, req: OciRequest) -> Reply:
    request = groups.UpdateGroupRequest(ip.group_id(req), description(req.body.get("description")))
    return Reply(ir.group(groups.update_group(api.deps, req.call, request)))


def delete_group(api: Api, req: OciRequest) -> Reply:
    groups.delete_group(api.deps, req.call, groups.DeleteGroupRequest(ip.group_id(req)))
    return Reply(None, NO_CONTENT)


def add_user_to_group(api: Api, req: OciRequest) -> Reply:
    b = req.body
    request = memberships.AddUserToGroupRequest(
        require_ocid(b.get("userId"), "userId", "user"),
        require_ocid(b.get("groupId"), "groupId", "group"),
    )
    return Reply(ir.membership(memberships.add_user_to_group(api.deps, req.call, request)))


def get_user_group_membership(api: Api, req: OciRequest) -> Reply:
    request = memberships.GetUserGroupMembershipRequest(ip.membership_id(req))
    m = memberships.get_user_group_membership(api.deps, req.call, request)
    return Reply(ir.membership(m))


def list_user_group_memberships(api: Api, req: OciRequest) -> Reply:
    q = req.query
    ip.check_tenancy(req, q.get("compartmentId"))
    request = memberships.ListUserGroupMembershipsRequest(
        ip.optional_id(q.get("userId"), "userId", "user"),
        ip.optional_id(q.get("groupId"), "groupId", "group"),
    )
    found = memberships.list_user_group_memberships(api.deps, req.call, request)
    return ir.window(found.items, ip.page(req), ir.membership)


def remove_user_from_group(api: Api, req: OciRequest) -> Reply:
    request = memberships.RemoveUserFromGroupRequest(ip.membership_id(req))
    memberships.remove_user_from_group(api.deps, req.call, request)
    return Reply(None, NO_CONTENT)


# policies and dynamic groups ---------------------------------------------------------------
def create_policy(api: Api, req: OciRequest) -> Reply:
    b = req.body
    request = policies.CreatePolicyRequest(
        compartment_id=ip.tenancy_or_compartment(b.get("compartmentId")),
        name=identity_name(b.get("name")),
        description=description(b.get("description")),
        statements=ip.as_sent(b, "statements", free_text=True),
    )
    p = policies.create_policy(api.deps, req.call, request)
    return ir.versioned(ir.policy(p), p.id, p.version)


def get_policy(api: Api, req: OciRequest) -> Reply:
    p = policies.get_policy(api.deps, req.call, policies.GetPolicyRequest(ip.policy_id(req)))
    return ir.versioned(ir.policy(p), p.id, p.version)


def list_policies(api: Api, req: OciRequest) -> Reply:
    compartment = ip.tenancy_or_compartment(req.query.get("compartmentId"))
    request = policies.ListPoliciesRequest(compartment)
    found = policies.list_policies(api.deps, req.call, request)
    return ir.window(found.items, ip.page(req), ir.policy)


def update_policy(api: Api, req: OciRequest) -> Reply:
    b = req.body
    request = policies.UpdatePolicyRequest(
        policy_id=ip.policy_id(req),
        description=ip.optional(b, "description", description),
        statements=ip.as_sent(b, "statements", free_text=True),
        if_match=req.if_match,
    )
    p = policies.update_policy(api.deps, req.call, request)
    return ir.versioned(ir.policy(p), p.id, p.version)


def delete_policy(api: Api, req: OciRequest) -> Reply:
    request = policies.DeletePolicyRequest(ip.policy_id(req), req.if_match)
    policies.delete_policy(api.deps, req.call, request)
    return Reply(None, NO_CONTENT)


def create_dynamic_group(api: Api, req: OciRequest) -> Reply:
    b = req.body
    ip.check_tenancy(req, b.get("compartmentId"))
    request = dynamic_groups.CreateDynamicGroupRequest(
        name=identity_name(b.get("name")),
        description=description(b.get("description")),
        matching_rule=ip.as_sent(b, "matchingRule", free_text=True),
    )
    g = dynamic_groups.create_dynamic_group(api.deps, req.call, request)
    return ir.versioned(ir.dynamic_group(g), g.id, g.version)


def get_dynamic_group(api: Api, req: OciRequest) -> Reply:
    request = dynamic_groups.GetDynamicGroupRequest(ip.dynamic_group_id(req))
    g = dynamic_groups.get_dynamic_group(api.deps, req.call, request)
    return ir.versioned(ir.dynamic_group(g), g.id, g.version)


def list_dynamic_groups(api: Api, req: OciRequest) -> Reply:
    ip.check_tenancy(req, req.query.get("compartmentId"))
    request = dynamic_groups.ListDynamicGroupsRequest()
    found = dynamic_groups.list_dynamic_groups(api.deps, req.call, request)
    return ir.window(found.items, ip.page(req), ir.dynamic_group)


def update_dynamic_group(api: Api, req: OciRequest) -> Reply:
    b = req.body
    request = dynamic_groups.UpdateDynamicGroupRequest(
        dynamic_group_id=ip.dynamic_group_id(req),
        description=ip.optional(b, "description", description),
        matching_rule=ip.as_sent(b, "matchingRule", free_text=True),
        if_match=req.if_match,
    )
    g = dynamic_groups.update_dynamic_group(api.deps, req.call, request)
    return ir.versioned(ir.dynamic_group(g), g.id, g.version)


def delete_dynamic_group(api: Api, req: OciRequest) -> Reply:
    request = dynamic_groups.DeleteDynamicGroupRequest(ip.dynamic_group_id(req), req.if_match)
    dynamic_groups.delete_dynamic_group(api.deps, req.call, request)
    return Reply(None, NO_CONTENT)
