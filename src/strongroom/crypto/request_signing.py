"""Verifying OCI request signatures (RSA PKCS#1 v1.5 with SHA-256) and API key fingerprints."""

from __future__ import annotations

import base64
import functools
import hashlib
from email.utils import formatdate

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from strongroom.domain.errors import InvalidParameter

__all__ = [
    "fingerprint",
    "load_api_public_key",
    "new_api_key_pair",
    "public_pem",
    "sign_request",
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


@functools.lru_cache(maxsize=8)
def _private_key(private_pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def sign_request(
    method: str, target: str, host: str, body: bytes, key_id: str, private_pem: bytes
) -> dict[str, str]:
    """The headers that sign a request as the OCI SDK does (draft-cavage, rsa-sha256):
    date, host, and for a body its type, length and SHA-256; ``target`` is path and query."""
    headers = {"date": formatdate(usegmt=True), "host": host}
    names = ["date", "(request-target)", "host"]
    if method in ("POST", "PUT", "PATCH"):
        headers["content-type"] = "application/json"
        headers["content-length"] = str(len(body))
        headers["x-content-sha256"] = base64.b64encode(hashlib.sha256(body).digest()).decode()
        names += ["content-length", "content-type", "x-content-sha256"]
    lines = [
        f"(request-target): {method.lower()} {target}"
        if n == "(request-target)"
        else f"{n}: {headers[n]}"
        for n in names
    ]
    signature = _private_key(private_pem).sign("\n".join(lines).encode(), _PKCS1V15, _SHA256)
    headers["authorization"] = (
        f'Signature version="1",keyId="{key_id}",algorithm="rsa-sha256",'
        f'headers="{" ".join(names)}",signature="{base64.b64encode(signature).decode()}"'
    )
    return headers
