"""Authenticate a signed request: find the API key, verify the signature, build the principal."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import NamedTuple

from strongroom.crypto.request_signing import load_api_public_key, verify_signature
from strongroom.domain.errors import InvalidParameter, NotAuthenticated
from strongroom.domain.identity import Principal
from strongroom.services.ports import Credential, Deps

__all__ = [
    "MAX_SKEW",
    "SignatureRefused",
    "SignedRequest",
    "authenticate",
]

MAX_SKEW = timedelta(minutes=5)
_KEY_ID = re.compile(
    r"^(ocid1\.tenancy\.[a-z0-9.-]+)/(ocid1\.user\.[a-z0-9.-]+)/([0-9a-f]{2}(?::[0-9a-f]{2}){15})$"
)


class SignatureRefused(NotAuthenticated):
    """A request whose signature was refused, and why, for operators (audit and logs).

    The caller sees only ``message`` (which never tells an unknown key from a bad signature);
    ``reason`` is a short code: ``missing-signature``, ``missing-headers``,
    ``unsupported-signature``, ``malformed-signature``, ``malformed-date``, ``clock-skew``,
    ``body-hash-mismatch``, ``malformed-key-id``, ``unknown-key-id`` (no such user in the
    tenancy), ``fingerprint-mismatch`` (the fingerprint names no key of that user),
    ``key-inactive``, ``user-inactive``, ``unusable-key``, ``bad-signature`` or
    ``replayed-signature`` (a signed write sent again: :mod:`.replays`).
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


_INVALID = "The request signature is not valid"


class SignedRequest(NamedTuple):
    """What the transport extracted from a request's Authorization and date headers.

    (A named tuple: made on every request, and cheaper to make than a frozen dataclass.)
    """

    key_id: str
    signing_string: bytes
    signature: bytes
    date: datetime


def authenticate(deps: Deps, request: SignedRequest) -> Principal:
    """Return the caller, or raise :class:`SignatureRefused` (whose message does not say
    which check failed, and whose reason does)."""
    if abs(deps.wall_clock.now() - request.date) > MAX_SKEW:
        raise SignatureRefused(
            "The request date is more than 5 minutes from the server's clock", "clock-skew"
        )
    key_id = request.key_id
    verifier: Credential = deps.credentials.fetch(key_id, lambda: _load_verifier(deps, key_id))
    if not verify_signature(verifier.public_key, request.signing_string, request.signature):
        raise SignatureRefused(_INVALID, "bad-signature")
    return verifier.principal


def _load_verifier(deps: Deps, key_id: str) -> Credential:
    match = _KEY_ID.match(key_id)
    if match is None:
        raise SignatureRefused("The keyId of the signature is malformed", "malformed-key-id")
    tenancy_id, user_id, _ = match.groups()
    with deps.db.transaction(read_only=True) as tx:
        api_key = tx.identity.get_api_key(key_id)
        user = tx.identity.get_user(user_id)
        groups = tx.identity.groups_of(user_id) if user else []
    if user is None or user.tenancy_id != tenancy_id:
        raise SignatureRefused(_INVALID, "unknown-key-id")
    if user.lifecycle_state != "ACTIVE":
        raise SignatureRefused(_INVALID, "user-inactive")
    if api_key is None:
        raise SignatureRefused(_INVALID, "fingerprint-mismatch")
    if api_key.lifecycle_state != "ACTIVE":
        raise SignatureRefused(_INVALID, "key-inactive")
    try:
        public_key = load_api_public_key(api_key.public_key_pem)
    except InvalidParameter:
        raise SignatureRefused(_INVALID, "unusable-key") from None
    principal = Principal(
        tenancy_id=tenancy_id,
        user_id=user_id,
        group_ids=frozenset(g.id for g in groups),
        group_names=frozenset(g.name for g in groups),
    )
    return Credential(public_key, principal)
