"""Identity objects to the shapes of the ``oci.identity`` models."""

from __future__ import annotations

from typing import Any

from strongroom.api.oci.render import rfc3339
from strongroom.domain.identity import (
    ApiKey,
    Application,
    Compartment,
    DynamicGroup,
    Group,
    Membership,
    PolicyRecord,
    User,
)


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


def api_key(key_id: str, k: ApiKey) -> dict[str, Any]:
    return {
        "keyId": key_id,
        "keyValue": k.public_key_pem,
        "fingerprint": k.fingerprint,
        "userId": k.user_id,
        "timeCreated": rfc3339(k.time_created),
        "lifecycleState": k.lifecycle_state,
    }


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
