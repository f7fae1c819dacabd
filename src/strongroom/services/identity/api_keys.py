"""API signing key use cases: UploadApiKey, ListApiKeys, DeleteApiKey."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto.request_signing import fingerprint, load_api_public_key, public_pem
from strongroom.domain.errors import Conflict, InvalidParameter, NotFound
from strongroom.domain.identity import ApiKey
from strongroom.domain.paging import Page
from strongroom.services.context import Call
from strongroom.services.identity.common import Deleted, user_for
from strongroom.services.lookup import NOT_FOUND
from strongroom.services.ports import Deps

__all__ = [
    "MAX_API_KEYS",
    "DeleteApiKeyRequest",
    "ListApiKeysRequest",
    "RegisteredApiKey",
    "UploadApiKeyRequest",
    "delete_api_key",
    "list_api_keys",
    "upload_api_key",
]

MAX_API_KEYS = 3


@dataclass(frozen=True)
class UploadApiKeyRequest:
    """UploadApiKey's input: a PEM public key for ``user_id`` (checked by the use case)."""

    user_id: str
    key: str


@dataclass(frozen=True)
class ListApiKeysRequest:
    """ListApiKeys' input."""

    user_id: str


@dataclass(frozen=True)
class DeleteApiKeyRequest:
    """DeleteApiKey's input: the user and the key's fingerprint."""

    user_id: str
    fingerprint: str


@dataclass(frozen=True)
class RegisteredApiKey:
    """An API key and its keyId (``tenancy/user/fingerprint``)."""

    key_id: str
    key: ApiKey


def upload_api_key(deps: Deps, call: Call, request: UploadApiKeyRequest) -> RegisteredApiKey:
    """Add an API signing key; a user may hold three at once, for rotation."""
    public = load_api_public_key(request.key)
    print_ = fingerprint(public)
    with deps.db.transaction() as tx:
        user = user_for(deps, tx, call, request.user_id, "UploadApiKey")
        existing = tx.iam.api_keys_of(user.id)
        if any(k.fingerprint == print_ for _, k in existing):
            raise Conflict("This key is already registered for the user")
        if len(existing) >= MAX_API_KEYS:
            raise InvalidParameter(f"A user may have at most {MAX_API_KEYS} API keys")
        key = ApiKey(
            user.id, user.tenancy_id, print_, public_pem(public), "ACTIVE", deps.clock.now()
        )
        key_id = f"{user.tenancy_id}/{user.id}/{print_}"
        tx.identity.add_api_key(key_id, key)
    return RegisteredApiKey(key_id, key)


def list_api_keys(deps: Deps, call: Call, request: ListApiKeysRequest) -> Page[RegisteredApiKey]:
    """A user's API keys, all in one page."""
    with deps.db.transaction(read_only=True) as tx:
        user = user_for(deps, tx, call, request.user_id, "ListApiKeys")
        found = tx.iam.api_keys_of(user.id)
    return Page([RegisteredApiKey(key_id, key) for key_id, key in found], None)


def delete_api_key(deps: Deps, call: Call, request: DeleteApiKeyRequest) -> Deleted:
    """Remove an API key; requests signed with it fail from now on."""
    with deps.db.transaction() as tx:
        user = user_for(deps, tx, call, request.user_id, "DeleteApiKey")
        key_id = f"{user.tenancy_id}/{user.id}/{request.fingerprint}"
        if not tx.iam.delete_api_key(key_id):
            raise NotFound(NOT_FOUND)
    return Deleted(key_id)
