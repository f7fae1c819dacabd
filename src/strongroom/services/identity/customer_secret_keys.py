"""Customer secret keys of users (access key id and secret, for HMAC-signed APIs such as
Alibaba's): CreateCustomerSecretKey, ListCustomerSecretKeys, UpdateCustomerSecretKey,
DeleteCustomerSecretKey.

As in OCI, a user may hold two at once, and every user may manage their own without a policy;
managing another user's needs the permission (``manage users``). The secret is made here,
sealed by the barrier and answered once, by the create. Only the home region writes them (the
OCI endpoint forwards the writes there) and they are not replicated: a sealed secret does not
open under another region's master key.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from strongroom.domain.errors import InvalidParameter, LimitExceeded, NotFound
from strongroom.domain.identity import CustomerSecretKey, User
from strongroom.domain.ids import new_ocid
from strongroom.domain.paging import Page
from strongroom.domain.tags import no_controls
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.identity.access_secrets import secret_identity
from strongroom.services.identity.common import Deleted, tenancy_target
from strongroom.services.lookup import NOT_FOUND
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "MAX_CUSTOMER_SECRET_KEYS",
    "MAX_DISPLAY_NAME",
    "CreateCustomerSecretKeyRequest",
    "CreatedCustomerSecretKey",
    "DeleteCustomerSecretKeyRequest",
    "ListCustomerSecretKeysRequest",
    "UpdateCustomerSecretKeyRequest",
    "create_customer_secret_key",
    "delete_customer_secret_key",
    "display_name",
    "list_customer_secret_keys",
    "update_customer_secret_key",
]

MAX_CUSTOMER_SECRET_KEYS = 2
MAX_DISPLAY_NAME = 400
_SECRET_BYTES = 30  # 240 random bits: 40 base64 characters, no padding


@dataclass(frozen=True)
class CreateCustomerSecretKeyRequest:
    """CreateCustomerSecretKey's input (``display_name`` checked by :func:`display_name`)."""

    user_id: str
    display_name: str


@dataclass(frozen=True)
class ListCustomerSecretKeysRequest:
    """ListCustomerSecretKeys' input."""

    user_id: str


@dataclass(frozen=True)
class UpdateCustomerSecretKeyRequest:
    """UpdateCustomerSecretKey's input; a ``display_name`` of None leaves it unchanged."""

    user_id: str
    key_id: str
    display_name: str | None = None


@dataclass(frozen=True)
class DeleteCustomerSecretKeyRequest:
    """DeleteCustomerSecretKey's input."""

    user_id: str
    key_id: str


@dataclass(frozen=True)
class CreatedCustomerSecretKey:
    """A new key and its secret, which is answered this once (stored sealed, never shown)."""

    key: CustomerSecretKey
    secret: str = field(repr=False)


def display_name(value: object) -> str:
    """A key's name: 1 to 400 characters, no control characters."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_DISPLAY_NAME:
        raise InvalidParameter(f"displayName must be 1 to {MAX_DISPLAY_NAME} characters")
    return no_controls(value, "displayName")


def create_customer_secret_key(
    deps: Deps, call: Call, request: CreateCustomerSecretKeyRequest
) -> CreatedCustomerSecretKey:
    """A new ACTIVE key for the user, with a fresh secret; at most two per user."""
    secret = base64.b64encode(deps.random_bytes(_SECRET_BYTES))
    with deps.db.transaction() as tx:
        user = _owner(deps, tx, call, request.user_id, "CreateCustomerSecretKey")
        tx.identity.secret_keys.lock_user(user.id)  # concurrent creates count in turn
        if len(tx.identity.secret_keys.of_user(user.id)) >= MAX_CUSTOMER_SECRET_KEYS:
            raise LimitExceeded(
                f"A user may have at most {MAX_CUSTOMER_SECRET_KEYS} customer secret keys"
            )
        key = CustomerSecretKey(
            new_ocid("credential", deps.region, deps.random_bytes),
            user.tenancy_id,
            user.id,
            request.display_name,
            "ACTIVE",
            deps.clock.now(),
        )
        tx.identity.secret_keys.add(key, deps.barrier.seal(secret, secret_identity(key)))
    call.audit.resource_id = key.id
    return CreatedCustomerSecretKey(key, secret.decode("ascii"))


def list_customer_secret_keys(
    deps: Deps, call: Call, request: ListCustomerSecretKeysRequest
) -> Page[CustomerSecretKey]:
    """The user's keys (without their secrets), all in one page."""
    with deps.db.transaction(read_only=True) as tx:
        user = _owner(deps, tx, call, request.user_id, "ListCustomerSecretKeys")
        return Page(tx.identity.secret_keys.of_user(user.id), None)


def update_customer_secret_key(
    deps: Deps, call: Call, request: UpdateCustomerSecretKeyRequest
) -> CustomerSecretKey:
    """Rename a key (its secret never changes)."""
    with deps.db.transaction() as tx:
        key = _key_of(deps, tx, call, request.user_id, request.key_id, "UpdateCustomerSecretKey")
        if request.display_name is not None:
            tx.identity.secret_keys.rename(key.id, request.display_name)
        found = tx.identity.secret_keys.get(key.id)
    return found.key if found else key


def delete_customer_secret_key(
    deps: Deps, call: Call, request: DeleteCustomerSecretKeyRequest
) -> Deleted:
    """Remove a key: requests signed with it are refused from now on."""
    with deps.db.transaction() as tx:
        key = _key_of(deps, tx, call, request.user_id, request.key_id, "DeleteCustomerSecretKey")
        tx.identity.secret_keys.delete(key.id)
    return Deleted(key.id)


def _owner(deps: Deps, tx: Transaction, call: Call, user_id: str, operation: str) -> User:
    """The ACTIVE user of the caller's tenancy whose keys the caller may manage: themselves,
    or anyone when policies grant ``operation``."""
    user = tx.identity.get_user(user_id)
    principal = call.principal
    if user is None or user.tenancy_id != principal.tenancy_id or user.lifecycle_state != "ACTIVE":
        raise NotFound(NOT_FOUND)
    if principal.principal_type == "user" and principal.user_id == user.id:
        call.audit.resource_id = user.id
        call.audit.decision = "allowed"  # every user manages their own keys, as in OCI
        return user
    authorize(deps, call, operation, tenancy_target(call, user_id=user.id))
    return user


def _key_of(
    deps: Deps, tx: Transaction, call: Call, user_id: str, key_id: str, operation: str
) -> CustomerSecretKey:
    """A key of a user whose keys the caller may manage."""
    user = _owner(deps, tx, call, user_id, operation)
    stored = tx.identity.secret_keys.get(key_id)
    if stored is None or stored.key.user_id != user.id:
        raise NotFound(NOT_FOUND)
    call.audit.resource_id = key_id
    return stored.key
