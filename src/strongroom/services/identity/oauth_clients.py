"""OAuth2 client credentials of users: confidential applications that obtain tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from strongroom.crypto.jwt_keys import hash_secret, new_client_secret
from strongroom.domain.errors import InvalidParameter, NotFound
from strongroom.domain.identity import Application
from strongroom.domain.ids import new_ocid
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.identity.common import tenancy_target
from strongroom.services.lookup import NOT_FOUND
from strongroom.services.ports import Deps
from strongroom.storage import schema

MAX_CREDENTIALS = 10
LIFETIME = timedelta(days=365)


@dataclass(frozen=True)
class NewCredential:
    """A created credential and its secret, which is shown once and never stored."""

    application: Application
    secret: str


def _validate_scopes(scopes: object) -> tuple[dict[str, str], ...]:
    if not isinstance(scopes, list) or not 0 < len(scopes) <= 20:
        raise InvalidParameter("scopes must be a list of 1 to 20 {audience, scope} objects")
    checked = []
    for item in scopes:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("audience"), str)
            and isinstance(item.get("scope"), str)
            and item["audience"]
            and item["scope"]
            and len(item["audience"]) <= 512
            and len(item["scope"]) <= 128
        ):
            raise InvalidParameter("each scope needs a non-empty audience and scope")
        checked.append({"audience": item["audience"], "scope": item["scope"]})
    return tuple(checked)


def _owned_user(deps: Deps, call: Call, user_id: str, operation: str) -> None:
    with deps.db.transaction() as tx:
        user = tx.identity.get_user(user_id)
    if (
        user is None
        or user.tenancy_id != call.principal.tenancy_id
        or user.lifecycle_state != "ACTIVE"
    ):
        raise NotFound(NOT_FOUND)
    authorize(deps, call, operation, tenancy_target(call, user_id=user_id))


def create_credential(
    deps: Deps, call: Call, user_id: str, name: str, description: str, scopes: object
) -> NewCredential:
    """Register a client for ``user_id``; its id is the client_id, the secret is returned once."""
    checked = _validate_scopes(scopes)
    _owned_user(deps, call, user_id, "UploadApiKey")
    secret = new_client_secret()
    now = deps.clock.now()
    app = Application(
        new_ocid("credential", deps.region, deps.random_bytes),
        call.principal.tenancy_id,
        user_id,
        name,
        description,
        hash_secret(secret),
        checked,
        "ACTIVE",
        now,
        now + LIFETIME,
    )
    with deps.db.transaction() as tx:
        if len(tx.iam.applications_of(user_id)) >= MAX_CREDENTIALS:
            raise InvalidParameter(
                f"A user may have at most {MAX_CREDENTIALS} OAuth2 client credentials"
            )
        tx.iam.add_application(app)
    return NewCredential(app, secret)


def list_credentials(deps: Deps, call: Call, user_id: str) -> list[Application]:
    _owned_user(deps, call, user_id, "ListApiKeys")
    with deps.db.transaction(read_only=True) as tx:
        return tx.iam.applications_of(user_id)


def delete_credential(deps: Deps, call: Call, user_id: str, credential_id: str) -> None:
    _owned_user(deps, call, user_id, "DeleteApiKey")
    with deps.db.transaction() as tx:
        app = tx.iam.get_application(credential_id)
        if app is None or app.user_id != user_id:
            raise NotFound(NOT_FOUND)
        tx.iam.delete_row(schema.applications, app.id)
