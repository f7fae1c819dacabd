"""Who an access key (a customer secret key) is, and its secret: what a transport that checks
HMAC signatures (the Alibaba API's AccessKeyId and AccessKeySecret) needs.

Answers are cached per access key id in ``deps.access_secrets`` for 2 seconds (reloaded after
one); any write of a customer secret key, user, group or membership drops the cache, in this
process at once and, on PostgreSQL, in the others through the change feed. A secret exists in
plaintext only in process memory, like the key material of SOFTWARE keys.
"""

from __future__ import annotations

from strongroom.domain.identity import CustomerSecretKey
from strongroom.services.identity.principals import user_principal
from strongroom.services.ports import AccessSecret, Deps

__all__ = ["AccessSecret", "access_secret_for", "secret_identity"]

_MAX_ID = 255


def secret_identity(key: CustomerSecretKey) -> str:
    """The barrier identity (associated data) a key's secret is sealed under: its row, and the
    user it belongs to (a secret moved to another row or user does not open)."""
    return f"customer_secret_keys/{key.id}/{key.user_id}"


def access_secret_for(deps: Deps, access_key_id: str) -> AccessSecret | None:
    """The ACTIVE user an ACTIVE access key belongs to and its secret; None when the id names no
    such key (unknown, deleted, or its user is not ACTIVE). A sealed secret that does not open
    raises ``StorageIntegrityError`` (storage failed, not the caller).

    May block (a storage read on a cache miss): where blocking is forbidden it raises
    ``WouldBlock`` before touching storage (see :mod:`strongroom.services.nonblocking`).
    """
    if not access_key_id or len(access_key_id) > _MAX_ID:
        return None
    try:
        return deps.access_secrets.fetch(access_key_id, lambda: _load(deps, access_key_id))
    except _NoSuchKey:
        return None  # not cached: a key made a moment later works at once


class _NoSuchKey(Exception):
    """No ACTIVE key of an ACTIVE user has the id (raised through the cache: nothing stored)."""


def _load(deps: Deps, access_key_id: str) -> AccessSecret:
    with deps.db.transaction(read_only=True) as tx:
        stored = tx.identity.secret_keys.get(access_key_id)
        if stored is None or stored.key.lifecycle_state != "ACTIVE":
            raise _NoSuchKey
        principal = user_principal(tx, stored.key.tenancy_id, stored.key.user_id)
    if principal is None:
        raise _NoSuchKey
    secret = deps.barrier.open(stored.sealed_secret, secret_identity(stored.key))
    return AccessSecret(principal, secret)
