"""RSA keys that sign identity tokens, and their public JWKs."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = [
    "hash_secret",
    "load_signing_key",
    "new_client_secret",
    "new_signing_key",
    "secret_matches",
]


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def new_signing_key() -> tuple[str, bytes, dict[str, str]]:
    """(kid, PKCS#8 DER private key, public JWK) for a fresh RSA-2048 key."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    numbers = private.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
    }
    kid = hashlib.sha256((jwk["n"] + jwk["e"]).encode()).hexdigest()[:32]
    return kid, der, {**jwk, "kid": kid}


@functools.lru_cache(maxsize=8)
def load_signing_key(der: bytes) -> rsa.RSAPrivateKey:
    """The private key object PyJWT signs with, loaded once per key.

    Loading validates the key (OpenSSL's RSA key check, ~45 ms of CPU for RSA-2048 that holds
    the GIL), so loading it for every token stalled the event loop for every request in
    flight; the validated object is kept instead (a few signing keys exist at once).
    """
    key = serialization.load_der_private_key(der, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def new_client_secret() -> str:
    """A random 256-bit client secret (URL-safe text)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii").rstrip("=")


def hash_secret(secret: str) -> str:
    """Digest of a high-entropy secret for storage; the secret itself is never stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented secret with the stored digest."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)
