"""Strongroom as an identity provider: the OAuth2 client-credentials grant and the JWKS."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt

from strongroom.crypto.jwt_keys import load_signing_key, new_signing_key, secret_matches
from strongroom.services.ports import Deps

__all__ = [
    "TOKEN_LIFETIME",
    "IssuedToken",
    "OAuthError",
    "client_credentials",
    "issuer_url",
    "jwks",
]

TOKEN_LIFETIME = timedelta(hours=1)
_lock = threading.Lock()


class OAuthError(Exception):
    """An RFC 6749 error: ``error`` is the code, ``description`` says why, ``status`` the HTTP."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True)
class IssuedToken:
    """An access token response."""

    access_token: str
    expires_in: int
    scope: str


def issuer_url(deps: Deps) -> str:
    """The ``iss`` of every token and the base of the discovery document."""
    return f"{deps.public_url.rstrip('/')}/oauth2/v1"


def _signing_key(deps: Deps) -> tuple[str, bytes]:
    with _lock, deps.db.transaction() as tx:
        keys = tx.iam.signing_keys()
        if keys:
            kid, sealed, _, _ = keys[-1]
            return kid, deps.barrier.open(sealed, f"token_signing_keys/{kid}")
        kid, der, jwk = new_signing_key()
        tx.iam.add_signing_key(
            kid, deps.barrier.seal(der, f"token_signing_keys/{kid}"), jwk, deps.clock.now()
        )
        return kid, der


def jwks(deps: Deps) -> dict[str, Any]:
    """The public keys that verify Strongroom's tokens."""
    _signing_key(deps)
    with deps.db.transaction(read_only=True) as tx:
        return {"keys": [jwk for _, _, jwk, _ in tx.iam.signing_keys()]}


def client_credentials(
    deps: Deps, client_id: str, secret: str, scope: str | None, audience: str | None
) -> IssuedToken:
    """Issue a signed JWT for a registered client, limited to one of its audience/scope pairs."""
    with deps.db.transaction(read_only=True) as tx:
        app = (
            tx.iam.get_application(client_id) if client_id.startswith("ocid1.credential.") else None
        )
        user = tx.identity.get_user(app.user_id) if app else None
    now = deps.wall_clock.now()
    if (
        app is None
        or user is None
        or user.lifecycle_state != "ACTIVE"
        or app.lifecycle_state != "ACTIVE"
        or not secret_matches(secret, app.secret_hash)
        or (app.expires_on is not None and app.expires_on <= now)
    ):
        raise OAuthError("invalid_client", "Client authentication failed", 401)
    if not scope:
        raise OAuthError("invalid_scope", "scope is required")
    grant = next(
        (s for s in app.scopes if s["scope"] == scope and audience in (None, s["audience"])), None
    )
    if grant is None:
        raise OAuthError("invalid_scope", "The client may not request that scope for that audience")
    kid, der = _signing_key(deps)
    claims = {
        "iss": issuer_url(deps),
        "sub": app.id,
        "aud": grant["audience"],
        "scope": grant["scope"],
        "client_id": app.id,
        "tenancy": app.tenancy_id,
        "user_id": app.user_id,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + TOKEN_LIFETIME).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, load_signing_key(der), algorithm="RS256", headers={"kid": kid})
    return IssuedToken(token, int(TOKEN_LIFETIME.total_seconds()), grant["scope"])
