"""Bearer JWT validation for the EKMS API: JWKS signature, iss, aud, exp/nbf and scope.

Signing keys come from the configured JWKS URL through PyJWKClient, which caches them (and
re-fetches on an unknown ``kid``). Tokens that passed are remembered by their exact string
until shortly before they expire (at most ``cache_seconds``), so the hot path re-validates
nothing. Only asymmetric algorithms are accepted: never ``none``, never HMAC.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
from jwt import PyJWKClient

from strongroom.ekm_proxy.config import JwtSettings
from strongroom.ekm_proxy.errors import Unauthenticated

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
LEEWAY_SECONDS = 5
MAX_CACHED = 10_000


class TokenValidator:
    """Validates EKMS bearer tokens against one issuer, JWKS URL and audience list."""

    def __init__(
        self,
        settings: JwtSettings,
        default_audience: str,
        *,
        cache_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.audiences = list(settings.audiences) or [default_audience]
        # An unknown kid re-fetches the JWKS at most every 10 s (a flood of made-up kids
        # cannot turn into a flood of fetches; a rotated IdP key is picked up soon).
        self._jwks = PyJWKClient(
            settings.jwks_url,
            cache_keys=True,
            lifespan=300,
            timeout=5,
            cooldown_duration=10,
            ssl_context=settings.trust(),
        )
        self._cache: dict[str, float] = {}
        self._cache_seconds = cache_seconds
        self._clock = clock

    def cached(self, token: str) -> bool:
        """Whether ``token`` was validated recently and has not expired since."""
        until = self._cache.get(token)
        return until is not None and until > self._clock()

    def validate(self, token: str) -> None:
        """Check ``token`` fully; may fetch the JWKS (blocking). Raises Unauthenticated."""
        if self.cached(token):
            return
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("The bearer token is malformed") from None
        if header.get("alg") not in ALGORITHMS:
            raise Unauthenticated("The bearer token's algorithm is not accepted")
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            raise Unauthenticated("The identity provider's JWKS cannot be fetched") from None
        except jwt.PyJWTError:
            raise Unauthenticated("The bearer token's signing key is unknown") from None
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.audiences,
                issuer=self.settings.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("The bearer token has expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("The bearer token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("The bearer token's audience is not this vault") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("The bearer token's issuer is not trusted") from None
        except jwt.MissingRequiredClaimError as error:
            raise Unauthenticated(f"The bearer token lacks the {error.claim} claim") from None
        except jwt.PyJWTError:
            raise Unauthenticated("The bearer token's signature is invalid") from None
        if self.settings.scope not in _scopes(claims.get("scope", claims.get("scp"))):
            raise Unauthenticated(f"The bearer token lacks the {self.settings.scope} scope")
        self._remember(token, float(claims["exp"]))

    def _remember(self, token: str, expires: float) -> None:
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        self._cache[token] = min(expires, self._clock() + self._cache_seconds)


def _scopes(value: object) -> set[str]:
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list):
        return {str(item) for item in value}
    return set()
