"""ExportKey wrapping: RSA-OAEP-SHA256, or RSA-OAEP plus AES key wrap (CKM_RSA_AES_KEY_WRAP)."""

from __future__ import annotations

import os

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from strongroom.domain.errors import InvalidParameter

__all__ = ["ALGORITHMS", "load_wrapping_key", "wrap"]

ALGORITHMS = ("RSA_OAEP_AES_SHA256", "RSA_OAEP_SHA256")
_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def load_wrapping_key(pem: str) -> rsa.RSAPublicKey:
    """Parse the caller's RSA public key (PEM) used to wrap the exported key."""
    try:
        public = serialization.load_pem_public_key(pem.encode("utf-8"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InvalidParameter("publicKey must be an RSA public key in PEM format") from None
    if not isinstance(public, rsa.RSAPublicKey) or public.key_size < 2048:
        raise InvalidParameter("publicKey must be an RSA public key of at least 2048 bits")
    return public


def wrap(material: bytes, algorithm: str, public_pem: str) -> bytes:
    """Wrap key material for export under the caller's public key."""
    if algorithm not in ALGORITHMS:
        raise InvalidParameter(f"algorithm must be one of {', '.join(ALGORITHMS)}")
    public = load_wrapping_key(public_pem)
    if algorithm == "RSA_OAEP_SHA256":
        limit = public.key_size // 8 - 2 * 32 - 2
        if len(material) > limit:
            raise InvalidParameter(
                "This key is too large for RSA_OAEP_SHA256; use RSA_OAEP_AES_SHA256"
            )
        return public.encrypt(material, _OAEP)
    ephemeral = os.urandom(32)
    return public.encrypt(ephemeral, _OAEP) + aes_key_wrap_with_padding(ephemeral, material)
