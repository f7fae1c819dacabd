"""The KMS ciphertext envelope: it names the key version, so decrypt needs no version hint.

Layout (then base64 at the API edge)::

    magic "SRC1" | u16 length of key-version id | key-version id (ASCII) | payload

The header is also bound into the AEAD associated data, so it cannot be swapped.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from strongroom.domain.errors import DecryptionFailed

__all__ = ["MAGIC", "Envelope", "header_for", "pack", "unpack"]

MAGIC = b"SRC1"
_MAX_ID = 512


@dataclass(frozen=True)
class Envelope:
    """A parsed ciphertext: which key version made it, and the provider's payload."""

    key_version_id: str
    payload: bytes

    @property
    def header(self) -> bytes:
        return _header(self.key_version_id)


def _header(key_version_id: str) -> bytes:
    raw = key_version_id.encode("ascii")
    return MAGIC + struct.pack(">H", len(raw)) + raw


def pack(key_version_id: str, payload: bytes) -> bytes:
    """Build the ciphertext bytes."""
    return _header(key_version_id) + payload


def header_for(key_version_id: str) -> bytes:
    """The header bytes to bind as associated data before the payload exists."""
    return _header(key_version_id)


def unpack(blob: bytes) -> Envelope:
    """Parse ciphertext bytes; anything malformed is a DecryptionFailed."""
    if len(blob) < 6 or blob[:4] != MAGIC:
        raise DecryptionFailed()
    (length,) = struct.unpack(">H", blob[4:6])
    if length == 0 or length > _MAX_ID or len(blob) < 6 + length:
        raise DecryptionFailed()
    try:
        key_version_id = blob[6 : 6 + length].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionFailed() from None
    return Envelope(key_version_id, blob[6 + length :])
