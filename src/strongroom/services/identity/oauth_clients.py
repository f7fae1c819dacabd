"""OAuth2 client credentials of users (confidential applications that obtain tokens):
CreateOAuthClientCredential, ListOAuthClientCredentials, DeleteOAuthClientCredential."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from strongroom.crypto.jwt_keys import hash_secret, new_client_secret
from strongroom.domain.errors import InvalidParameter, NotFound
from strongroom.domain.identity import Application
from strongroom.domain.ids import new_ocid
from strongroom.domain.paging import Page
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.identity.common import Deleted, tenancy_target
from strongroom.services.lookup import NOT_FOUND
from strongroom.services.ports import Deps
from strongroom.storage import schema

__all__ = [
    "LIFETIME",
    "MAX_CREDENTIALS",
    "CreateOAuthClientCredentialRequest",
    "CreatedOAuthClientCredential",
    "DeleteOAuthClientCredentialRequest",
    "ListOAuthClientCredentialsRequest",
    "create_oauth_client_credential",
    "delete_oauth_client_credential",
    "list_oauth_client_credentials",
]

MAX_CREDENTIALS = 10
LIFETIME = timedelta(days=365)


@dataclass(frozen=True)
class CreateOAuthClientCredentialRequest:
    """CreateOAuthClientCredential's input; the use case checks the {audience, scope} scopes."""

    user_id: str
    name: str
    scopes: list[dict[str, str]]
    description: str = ""


@dataclass(frozen=True)
class ListOAuthClientCredentialsRequest:
    """ListOAuthClientCredentials' input."""

    user_id: str


@dataclass(frozen=True)
class DeleteOAuthClientCredentialRequest:
    """DeleteOAuthClientCredential's input."""

    user_id: str
    oauth2_client_credential_id: str


@dataclass(frozen=True)
class CreatedOAuthClientCredential:
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


def create_oauth_client_credential(
    deps: Deps, call: Call, request: CreateOAuthClientCredentialRequest
) -> CreatedOAuthClientCredential:
    """Register a client for ``user_id``; its id is the client_id, the secret is returned once."""
    checked = _validate_scopes(request.scopes)
    user_id = request.user_id
    _owned_user(deps, call, user_id, "UploadApiKey")
    secret = new_client_secret()
    now = deps.clock.now()
    app = Application(
        new_ocid("credential", deps.region, deps.random_bytes),
        call.principal.tenancy_id,
        user_id,
        request.name,
        request.description,
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
    return CreatedOAuthClientCredential(app, secret)


def list_oauth_client_credentials(
    deps: Deps, call: Call, request: ListOAuthClientCredentialsRequest
) -> Page[Application]:
    """A user's client credentials, all in one page."""
    _owned_user(deps, call, request.user_id, "ListApiKeys")
    with deps.db.transaction(read_only=True) as tx:
        return Page(tx.iam.applications_of(request.user_id), None)


def delete_oauth_client_credential(
    deps: Deps, call: Call, request: DeleteOAuthClientCredentialRequest
) -> Deleted:
    """Remove a client credential; it obtains no more tokens."""
    _owned_user(deps, call, request.user_id, "DeleteApiKey")
    with deps.db.transaction() as tx:
        app = tx.iam.get_application(request.oauth2_client_credential_id)
        if app is None or app.user_id != request.user_id:
            raise NotFound(NOT_FOUND)
        tx.iam.delete_row(schema.applications, app.id)
    return Deleted(app.id)
