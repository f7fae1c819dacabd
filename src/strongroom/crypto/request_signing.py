"""Verifying OCI request signatures (RSA PKCS#1 v1.5 with SHA-256) and API key fingerprints."""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from strongroom.domain.errors import InvalidParameter

__all__ = [
    "fingerprint",
    "load_api_public_key",
    "new_api_key_pair",
    "public_pem",
    "verify_signature",
]


def load_api_public_key(pem: str) -> rsa.RSAPublicKey:
    """Parse an uploaded API public key; only RSA keys of 2048 bits or more are accepted."""
    try:
        public = serialization.load_pem_public_key(pem.encode("utf-8"))
    except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm):
        raise InvalidParameter("key must be an RSA public key in PEM format") from None
    if not isinstance(public, rsa.RSAPublicKey) or public.key_size < 2048:
        raise InvalidParameter("key must be an RSA public key of at least 2048 bits")
    return public


def fingerprint(public: rsa.RSAPublicKey) -> str:
    """OCI's fingerprint: MD5 of the DER SubjectPublicKeyInfo, colon-separated lower-case hex."""
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.md5(der, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def public_pem(public: rsa.RSAPublicKey) -> str:
    """Canonical PEM of a public key."""
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


# Stateless parameter objects, made once: verify runs on every request.
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


def verify_signature(public: rsa.RSAPublicKey, signing_string: bytes, signature: bytes) -> bool:
    """Whether ``signature`` signs ``signing_string`` under ``public``."""
    try:
        public.verify(signature, signing_string, _PKCS1V15, _SHA256)
    except InvalidSignature:
        return False
    return True


def new_api_key_pair() -> tuple[str, str]:
    """A fresh RSA-2048 pair for ``strongroom init``: (private PEM, public PEM)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return private_pem, public_pem(private.public_key())
