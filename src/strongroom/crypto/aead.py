"""AES-GCM with random 96-bit nonces; failures raise DecryptionFailed and reveal nothing more."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.domain.errors import DecryptionFailed

__all__ = ["NONCE_BYTES", "TAG_BYTES", "Cipher", "cipher", "open_sealed", "seal"]

NONCE_BYTES = 12
TAG_BYTES = 16

Cipher = AESGCM


def cipher(key: bytes) -> Cipher:
    """A key ready for :func:`seal` and :func:`open_sealed` many times (saves its set-up)."""
    return AESGCM(key)


def seal(key: bytes | AESGCM, plaintext: bytes, aad: bytes | None) -> bytes:
    """Encrypt ``plaintext``; returns nonce || ciphertext || tag."""
    cipher = key if isinstance(key, AESGCM) else AESGCM(key)
    nonce = os.urandom(NONCE_BYTES)
    return nonce + cipher.encrypt(nonce, plaintext, aad or None)


def open_sealed(key: bytes | AESGCM, blob: bytes, aad: bytes | None) -> bytes:
    """Decrypt a blob from :func:`seal`; raise DecryptionFailed on any mismatch."""
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionFailed()
    cipher = key if isinstance(key, AESGCM) else AESGCM(key)
    try:
        return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad or None)
    except InvalidTag:
        raise DecryptionFailed() from None
