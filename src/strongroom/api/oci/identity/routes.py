"""Routes of the IdentityClient API (/20160918)."""

from __future__ import annotations

from strongroom.api.oci.endpoint import ApiRoute
from strongroom.api.oci.identity import handlers as h

__all__ = ["ID", "ROUTES"]

ID = "/20160918"

ROUTES: list[ApiRoute] = [
    ApiRoute("CreateCompartment", "POST", ID + "/compartments", h.create_compartment, True),
    ApiRoute("ListCompartments", "GET", ID + "/compartments", h.list_compartments),
    ApiRoute("GetCompartment", "GET", ID + "/compartments/{compartmentId}", h.get_compartment),
    ApiRoute(
        "UpdateCompartment", "PUT", ID + "/compartments/{compartmentId}", h.update_compartment
    ),
    ApiRoute(
        "DeleteCompartment", "DELETE", ID + "/compartments/{compartmentId}", h.delete_compartment
    ),
    ApiRoute("CreateUser", "POST", ID + "/users", h.create_user, True),
    ApiRoute("ListUsers", "GET", ID + "/users", h.list_users),
    ApiRoute("GetUser", "GET", ID + "/users/{userId}", h.get_user),
    ApiRoute("UpdateUser", "PUT", ID + "/users/{userId}", h.update_user),
    ApiRoute("DeleteUser", "DELETE", ID + "/users/{userId}", h.delete_user),
    ApiRoute("UploadApiKey", "POST", ID + "/users/{userId}/apiKeys", h.upload_api_key, True),
    ApiRoute("ListApiKeys", "GET", ID + "/users/{userId}/apiKeys", h.list_api_keys),
    ApiRoute(
        "DeleteApiKey", "DELETE", ID + "/users/{userId}/apiKeys/{fingerprint}", h.delete_api_key
    ),
    ApiRoute(
        "CreateCustomerSecretKey",
        "POST",
        ID + "/users/{userId}/customerSecretKeys",
        h.create_customer_secret_key,
        True,
    ),
    ApiRoute(
        "ListCustomerSecretKeys",
        "GET",
        ID + "/users/{userId}/customerSecretKeys",
        h.list_customer_secret_keys,
    ),
    ApiRoute(
        "UpdateCustomerSecretKey",
        "PUT",
        ID + "/users/{userId}/customerSecretKeys/{customerSecretKeyId}",
        h.update_customer_secret_key,
    ),
    ApiRoute(
        "DeleteCustomerSecretKey",
        "DELETE",
        ID + "/users/{userId}/customerSecretKeys/{customerSecretKeyId}",
        h.delete_customer_secret_key,
    ),
    ApiRoute(
        "CreateOAuthClientCredential",
        "POST",
        ID + "/users/{userId}/oauth2ClientCredentials",
        h.create_oauth_client_credential,
        True,
    ),
    ApiRoute(
        "ListOAuthClientCredentials",
        "GET",
        ID + "/users/{userId}/oauth2ClientCredentials",
        h.list_oauth_client_credentials,
    ),
    ApiRoute(
        "DeleteOAuthClientCredential",
        "DELETE",
        ID + "/users/{userId}/oauth2ClientCredentials/{credentialId}",
        h.delete_oauth_client_credential,
    ),
    ApiRoute("CreateGroup", "POST", ID + "/groups", h.create_group, True),
    ApiRoute("ListGroups", "GET", ID + "/groups", h.list_groups),
    ApiRoute("GetGroup", "GET", ID + "/groups/{groupId}", h.get_group),
    ApiRoute("UpdateGroup", "PUT", ID + "/groups/{groupId}", h.update_group),
    ApiRoute("DeleteGroup", "DELETE", ID + "/groups/{groupId}", h.delete_group),
    ApiRoute("AddUserToGroup", "POST", ID + "/userGroupMemberships", h.add_user_to_group, True),
    ApiRoute(
        "ListUserGroupMemberships",
        "GET",
        ID + "/userGroupMemberships",
        h.list_user_group_memberships,
    ),
    ApiRoute(
        "GetUserGroupMembership",
        "GET",
        ID + "/userGroupMemberships/{membershipId}",
        h.get_user_group_membership,
    ),
    ApiRoute(
        "RemoveUserFromGroup",
        "DELETE",
        ID + "/userGroupMemberships/{membershipId}",
        h.remove_user_from_group,
    ),
    ApiRoute("CreatePolicy", "POST", ID + "/policies", h.create_policy, True),
    ApiRoute("ListPolicies", "GET", ID + "/policies", h.list_policies),
    ApiRoute("GetPolicy", "GET", ID + "/policies/{policyId}", h.get_policy),
    ApiRoute("UpdatePolicy", "PUT", ID + "/policies/{policyId}", h.update_policy),
    ApiRoute("DeletePolicy", "DELETE", ID + "/policies/{policyId}", h.delete_policy),
    ApiRoute("CreateDynamicGroup", "POST", ID + "/dynamicGroups", h.create_dynamic_group, True),
    ApiRoute("ListDynamicGroups", "GET", ID + "/dynamicGroups", h.list_dynamic_groups),
    ApiRoute("GetDynamicGroup", "GET", ID + "/dynamicGroups/{dynamicGroupId}", h.get_dynamic_group),
    ApiRoute(
        "UpdateDynamicGroup", "PUT", ID + "/dynamicGroups/{dynamicGroupId}", h.update_dynamic_group
    ),
    ApiRoute(
        "DeleteDynamicGroup",
        "DELETE",
        ID + "/dynamicGroups/{dynamicGroupId}",
        h.delete_dynamic_group,
    ),
]
