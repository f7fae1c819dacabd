"""EKMS bearer token validation against a local identity provider's JWKS."""

from __future__ import annotations

import time
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from strongroom.ekm_proxy.config import JwtSettings
from strongroom.ekm_proxy.errors import Unauthenticated
from strongroom.ekm_proxy.tokens import TokenValidator
from tests.idp_support import LocalIdp

AUDIENCE = "https://ekm.example:9443/v1/vaults/v1"


@pytest.fixture(scope="module")
def idp() -> Iterator[LocalIdp]:
    with LocalIdp() as running:
        yield running


@pytest.fixture
def validator(idp: LocalIdp) -> TokenValidator:
    return TokenValidator(JwtSettings(idp.issuer, idp.jwks_url), AUDIENCE)


def test_a_good_token_passes_and_is_cached(idp: LocalIdp, validator: TokenValidator) -> None:
    token = idp.token(AUDIENCE)
    assert not validator.cached(token)
    validator.validate(token)
    assert validator.cached(token)


def test_audience_list_and_scope_list(idp: LocalIdp, validator: TokenValidator) -> None:
    validator.validate(idp.token([AUDIENCE, "other"], scope="openid oci_ekms"))
    validator.validate(idp.token(AUDIENCE, extra={"scope": ["oci_ekms"]}))


def test_configured_audiences_replace_the_default(idp: LocalIdp) -> None:
    validator = TokenValidator(
        JwtSettings(idp.issuer, idp.jwks_url, audiences=("urn:ekm",)), AUDIENCE
    )
    validator.validate(idp.token("urn:ekm"))
    with pytest.raises(Unauthenticated, match="audience"):
        validator.validate(idp.token(AUDIENCE))


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda idp: idp.token(AUDIENCE, expires_in=-60), "expired"),
        (lambda idp: idp.token("https://elsewhere/v1/vaults/v1"), "audience"),
        (lambda idp: idp.token(AUDIENCE, scope="openid profile"), "scope"),
        (lambda idp: idp.token(AUDIENCE, scope="oci_ekms_admin"), "scope"),
        (lambda idp: idp.token(AUDIENCE, issuer="https://evil.example"), "issuer"),
        (lambda idp: idp.token(AUDIENCE, not_before=int(time.time()) + 600), "not valid yet"),
        (lambda idp: idp.unsigned_token(AUDIENCE), "algorithm"),
        (lambda idp: idp.token(AUDIENCE, key=_other_key()), "signature"),
        (lambda idp: idp.token(AUDIENCE, kid="unknown-kid"), "signing key"),
        (lambda idp: "not.a.jwt", "malformed"),
        (lambda idp: "", "malformed"),
    ],
)
def test_bad_tokens_are_refused(
    idp: LocalIdp, validator: TokenValidator, make: object, reason: str
) -> None:
    token = make(idp)  # type: ignore[operator]
    with pytest.raises(Unauthenticated, match=reason):
        validator.validate(token)
    assert not validator.cached(token)


def test_hmac_with_the_public_key_is_refused(idp: LocalIdp, validator: TokenValidator) -> None:
    """The classic algorithm confusion: HS256 keyed with the RSA public key."""
    public = idp.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {"iss": idp.issuer, "aud": AUDIENCE, "scope": "oci_ekms", "exp": time.time() + 60}
    token = _hs256(claims, public, idp.kid)
    with pytest.raises(Unauthenticated, match="algorithm"):
        validator.validate(token)


def _hs256(claims: dict[str, object], secret: bytes, kid: str) -> str:
    import base64
    import hashlib
    import hmac
    import json

    def part(value: dict[str, object]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = part({"alg": "HS256", "typ": "JWT", "kid": kid})
    body = part(claims)
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def test_missing_exp_is_refused(idp: LocalIdp, validator: TokenValidator) -> None:
    claims = {"iss": idp.issuer, "aud": AUDIENCE, "scope": "oci_ekms"}
    token = jwt.encode(claims, idp.key, algorithm="RS256", headers={"kid": idp.kid})
    with pytest.raises(Unauthenticated, match="exp"):
        validator.validate(token)


def test_cached_tokens_need_no_jwks_fetch() -> None:
    with LocalIdp() as idp:
        validator = TokenValidator(JwtSettings(idp.issuer, idp.jwks_url), AUDIENCE)
        token = idp.token(AUDIENCE)
        validator.validate(token)
    # the identity provider is gone; the validated token is still accepted from the cache
    validator.validate(token)
    with pytest.raises(Unauthenticated):
        validator.validate(idp.token(AUDIENCE, kid="rotated"))


def test_cache_expires_with_the_token(idp: LocalIdp) -> None:
    now = [time.time()]
    validator = TokenValidator(
        JwtSettings(idp.issuer, idp.jwks_url), AUDIENCE, clock=lambda: now[0]
    )
    token = idp.token(AUDIENCE, expires_in=30)
    validator.validate(token)
    assert validator.cached(token)
    now[0] += 31
    assert not validator.cached(token)
