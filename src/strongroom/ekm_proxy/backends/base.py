"""The back-end port: generate AES-256 key versions and run AES-GCM with them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

NONCE_BYTES = 12
TAG_BYTES = 16


@dataclass(frozen=True)
class VersionRef:
    """Names one key version for a back end; ``sealed`` is what :meth:`generate` returned."""

    key_id: str
    version_id: str
    sealed: str | None = field(default=None, repr=False)


class KeyBackend(Protocol):
    """Key material and AES-GCM. Errors: BackendUnavailable, InvalidCiphertext (decrypt only).

    Every encrypt uses a fresh random 96-bit nonce; the key material never leaves the back end
    (the software back end keeps it sealed at rest and in process memory only).
    """

    name: str

    def generate(self, key_id: str, version_id: str) -> str | None:
        """Create the material of a new version; returns what the keystore should keep."""
        ...

    def encrypt(self, ref: VersionRef, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
        """AES-256-GCM: returns (nonce, ciphertext || tag)."""
        ...

    def decrypt(self, ref: VersionRef, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        """Open ``ciphertext || tag``; raises InvalidCiphertext when it does not authenticate."""
        ...

    def check(self) -> dict[str, str]:
        """A deep health check (a real round trip); returns details or raises BackendUnavailable."""
        ...

    def close(self) -> None:
        """Release sessions and forget cached material."""
        ...
