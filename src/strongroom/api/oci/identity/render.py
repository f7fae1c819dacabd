"""Identity objects to the shapes of the ``oci.identity`` models, and the replies carrying them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from strongroom.api.oci.endpoint import Reply
from strongroom.api.oci.render import rfc3339
from strongroom.domain.identity import (
    ApiKey,
    Application,
    Compartment,
    CustomerSecretKey,
    DynamicGroup,
    Group,
    Membership,
    PolicyRecord,
    User,
)
from strongroom.domain.paging import PageRequest
from strongroom.services.etags import etag_of
from strongroom.services.identity.api_keys import RegisteredApiKey
from strongroom.services.identity.customer_secret_keys import CreatedCustomerSecretKey
from strongroom.services.identity.oauth_clients import CreatedOAuthClientCredential

__all__ = [
    "api_key",
    "compartment",
    "created_customer_secret_key",
    "created_oauth_credential",
    "customer_secret_key",
    "dynamic_group",
    "group",
    "membership",
    "oauth_credential",
    "policy",
    "user",
    "versioned",
    "window",
]

T = TypeVar("T")


def window(items: list[T], page: PageRequest, render: Callable[[T], dict[str, Any]]) -> Reply:
    """Identity lists are small: window them in memory with OCI's limit/page."""
    shown = items[page.offset : page.offset + page.limit]
    more = page.offset + page.limit < len(items)
    return Reply.page([render(i) for i in shown], page.offset + page.limit if more else None)


def versioned(body: dict[str, Any], resource_id: str, version: int) -> Reply:
    """A reply with the resource's etag."""
    return Reply(body, etag=etag_of(resource_id, version))


def compartment(c: Compartment) -> dict[str, Any]:
    return {
        "id": c.id,
        "compartmentId": c.parent_id,
        "name": c.name,
        "description": c.description,
        "timeCreated": rfc3339(c.time_created),
        "lifecycleState": c.lifecycle_state,
        "isAccessible": True,
        "freeformTags": c.freeform_tags,
        "definedTags": c.defined_tags,
    }


def user(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "compartmentId": u.tenancy_id,
        "name": u.name,
        "description": u.description,
        "timeCreated": rfc3339(u.time_created),
        "lifecycleState": u.lifecycle_state,
        "freeformTags": {},
        "definedTags": {},
        "isMfaActivated": False,
    }


def group(g: Group) -> dict[str, Any]:
    return {
        "id": g.id,
        "compartmentId": g.tenancy_id,
        "name": g.name,
        "description": g.description,
        "timeCreated": rfc3339(g.time_created),
        "lifecycleState": "ACTIVE",
        "freeformTags": {},
        "definedTags": {},
    }


def membership(m: Membership) -> dict[str, Any]:
    return {
        "id": m.id,
        "compartmentId": m.tenancy_id,
        "groupId": m.group_id,
        "userId": m.user_id,
        "timeCreated": rfc3339(m.time_created),
        "lifecycleState": "ACTIVE",
    }


def api_key(registered: RegisteredApiKey) -> dict[str, Any]:
    k: ApiKey = registered.key
    return {
        "keyId": registered.key_id,
        "keyValue": k.public_key_pem,
        "fingerprint": k.fingerprint,
        "userId": k.user_id,
        "timeCreated": rfc3339(k.time_created),
        "lifecycleState": k.lifecycle_state,
    }


def customer_secret_key(k: CustomerSecretKey) -> dict[str, Any]:
    """A CustomerSecretKeySummary (what lists and updates answer)."""
    return {
        "id": k.id,
        "userId": k.user_id,
        "displayName": k.display_name,
        "timeCreated": rfc3339(k.time_created),
        "timeExpires": None,
        "lifecycleState": k.lifecycle_state,
        "inactiveStatus": None,
    }


def created_customer_secret_key(made: CreatedCustomerSecretKey) -> dict[str, Any]:
    """A CustomerSecretKey: the new key with its secret (``key``), shown this once."""
    return {"key": made.secret, **customer_secret_key(made.key)}


def policy(p: PolicyRecord) -> dict[str, Any]:
    return {
        "id": p.id,
        "compartmentId": p.compartment_id,
        "name": p.name,
        "statements": p.statements,
        "description": p.description,
        "timeCreated": rfc3339(p.time_created),
        "lifecycleState": p.lifecycle_state,
        "freeformTags": {},
        "definedTags": {},
    }


def dynamic_group(g: DynamicGroup) -> dict[str, Any]:
    return {
        "id": g.id,
        "compartmentId": g.tenancy_id,
        "name": g.name,
        "description": g.description,
        "matchingRule": g.matching_rule,
        "timeCreated": rfc3339(g.time_created),
        "lifecycleState": g.lifecycle_state,
        "freeformTags": {},
        "definedTags": {},
    }


def oauth_credential(a: Application) -> dict[str, Any]:
    return {
        "id": a.id,
        "userId": a.user_id,
        "compartmentId": a.tenancy_id,
        "name": a.name,
        "description": a.description,
        "scopes": list(a.scopes),
        "lifecycleState": a.lifecycle_state,
        "timeCreated": rfc3339(a.time_created),
        "expiresOn": rfc3339(a.expires_on),
    }


def created_oauth_credential(made: CreatedOAuthClientCredential) -> dict[str, Any]:
    """A new credential with its secret, shown this once."""
    return {**oauth_credential(made.application), "password": made.secret}
