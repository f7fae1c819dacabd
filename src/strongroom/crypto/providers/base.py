"""The key-material provider port used by every KMS and secrets operation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from strongroom.domain.key import KeyShape


class Sealer(Protocol):
    """Port: binds bytes to a storage row (the barrier implements it)."""

    def seal(self, plaintext: bytes, identity: str) -> bytes:
        """Encrypt for the row named ``identity``."""
        ...

    def open(self, blob: bytes, identity: str) -> bytes:
        """Decrypt what :meth:`seal` produced for the same ``identity``; a value that does not
        open (tampered, moved from another row) raises ``StorageIntegrityError``."""
        ...


@dataclass(frozen=True)
class NewMaterial:
    """What a provider hands back for a new key version: the stored blob and public half."""

    stored: bytes
    public_key_pem: str | None


class KeyMaterialProvider(Protocol):
    """Port: creates and opens key material for one protection mode."""

    def create(self, shape: KeyShape, version_id: str) -> NewMaterial:
        """Make material for a new key version identified by ``version_id``."""
        ...

    def material(self, stored: bytes, version_id: str) -> bytes:
        """The usable material of a version (plaintext in memory only)."""
        ...
