"""Routes of the IdentityClient API (/20160918)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from strongroom.api.oci.endpoint import Api, RouteRow, routes
from strongroom.api.oci.identity import handlers as h

ID = "/20160918"


def identity_routes(api: Api) -> list[BaseRoute]:
    """Every identity route, bound to ``api``."""
    table: list[RouteRow] = [
        ("/compartments", "POST", h.create_compartment, True),
        ("/compartments", "GET", h.list_compartments, False),
        ("/compartments/{compartmentId}", "GET", h.get_compartment, False),
        ("/compartments/{compartmentId}", "PUT", h.update_compartment, False),
        ("/compartments/{compartmentId}", "DELETE", h.delete_compartment, False),
        ("/users", "POST", h.create_user, True),
        ("/users", "GET", h.list_users, False),
        ("/users/{userId}", "GET", h.get_user, False),
        ("/users/{userId}", "PUT", h.update_user, False),
        ("/users/{userId}", "DELETE", h.delete_user, False),
        ("/users/{userId}/apiKeys", "POST", h.upload_api_key, True),
        ("/users/{userId}/apiKeys", "GET", h.list_api_keys, False),
        ("/users/{userId}/apiKeys/{fingerprint}", "DELETE", h.delete_api_key, False),
        ("/users/{userId}/oauth2ClientCredentials", "POST", h.create_oauth_credential, True),
        ("/users/{userId}/oauth2ClientCredentials", "GET", h.list_oauth_credentials, False),
        (
            "/users/{userId}/oauth2ClientCredentials/{credentialId}",
            "DELETE",
            h.delete_oauth_credential,
            False,
        ),
        ("/groups", "POST", h.create_group, True),
        ("/groups", "GET", h.list_groups, False),
        ("/groups/{groupId}", "GET", h.get_group, False),
        ("/groups/{groupId}", "PUT", h.update_group, False),
        ("/groups/{groupId}", "DELETE", h.delete_group, False),
        ("/userGroupMemberships", "POST", h.add_user_to_group, True),
        ("/userGroupMemberships", "GET", h.list_memberships, False),
        ("/userGroupMemberships/{membershipId}", "GET", h.get_membership, False),
        ("/userGroupMemberships/{membershipId}", "DELETE", h.remove_user_from_group, False),
        ("/policies", "POST", h.create_policy, True),
        ("/policies", "GET", h.list_policies, False),
        ("/policies/{policyId}", "GET", h.get_policy, False),
        ("/policies/{policyId}", "PUT", h.update_policy, False),
        ("/policies/{policyId}", "DELETE", h.delete_policy, False),
        ("/dynamicGroups", "POST", h.create_dynamic_group, True),
        ("/dynamicGroups", "GET", h.list_dynamic_groups, False),
        ("/dynamicGroups/{dynamicGroupId}", "GET", h.get_dynamic_group, False),
        ("/dynamicGroups/{dynamicGroupId}", "PUT", h.update_dynamic_group, False),
        ("/dynamicGroups/{dynamicGroupId}", "DELETE", h.delete_dynamic_group, False),
    ]
    return routes(api, table, ID)
