"""Wrapping a secret under a caller's RSA public key with RSA-OAEP (SHA-1 or SHA-256).

The caller sends the public half of its own RSA key pair as DER ``SubjectPublicKeyInfo``; what
is wrapped here opens only with the caller's private key. Every refusal is an
:class:`~strongroom.domain.errors.InvalidParameter` that says what was wrong with the key, never
anything about the secret.
"""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from strongroom.crypto.asymmetric import OAEP_HASHES
from strongroom.domain.errors import InvalidParameter

__all__ = ["MIN_RSA_BITS", "PublicKey", "load_rsa_public_der", "oaep_limit", "oaep_wrap"]

MIN_RSA_BITS = 2048
PublicKey = rsa.RSAPublicKey  # what load_rsa_public_der gives, for callers' annotations


def load_rsa_public_der(der: bytes, bits: int | None = None) -> rsa.RSAPublicKey:
    """The caller's RSA public key from DER ``SubjectPublicKeyInfo``: at least 2048 bits, and
    exactly ``bits`` when the caller said how large it is."""
    try:
        public = serialization.load_der_public_key(der)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InvalidParameter(
            "The public key must be an RSA public key in DER SubjectPublicKeyInfo form"
        ) from None
    if not isinstance(public, rsa.RSAPublicKey):
        raise InvalidParameter("The public key must be an RSA key")
    if public.key_size < MIN_RSA_BITS:
        raise InvalidParameter(
            f"The public key has {public.key_size} bits; at least {MIN_RSA_BITS} are needed"
        )
    if bits is not None and public.key_size != bits:
        raise InvalidParameter(
            f"The public key has {public.key_size} bits, not the {bits} its spec names"
        )
    return public


def oaep_limit(public: rsa.RSAPublicKey, algorithm: str) -> int:
    """The most bytes ``algorithm`` (``RSA_OAEP_SHA_1`` or ``RSA_OAEP_SHA_256``) wraps
    under ``public``."""
    return public.key_size // 8 - 2 * _hash(algorithm)().digest_size - 2


def oaep_wrap(public: rsa.RSAPublicKey, algorithm: str, secret: bytes) -> bytes:
    """``secret`` encrypted under ``public`` with RSA-OAEP (MGF1 with the same hash)."""
    limit = oaep_limit(public, algorithm)
    if len(secret) > limit:
        raise InvalidParameter(
            f"{len(secret)} bytes are too many for a {public.key_size}-bit key with "
            f"{algorithm} (at most {limit})"
        )
    hash_type = _hash(algorithm)
    oaep = padding.OAEP(mgf=padding.MGF1(hash_type()), algorithm=hash_type(), label=None)
    return public.encrypt(secret, oaep)


def _hash(algorithm: str) -> type[hashes.HashAlgorithm]:
    hash_type = OAEP_HASHES.get(algorithm)
    if hash_type is None:
        raise InvalidParameter(f"The wrapping algorithm must be one of {', '.join(OAEP_HASHES)}")
    return hash_type
