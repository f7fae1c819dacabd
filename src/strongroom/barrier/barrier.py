"""The barrier seals values for storage with the row's identity as associated data."""

from __future__ import annotations

import struct
from typing import Protocol

from strongroom.barrier.keyring import Keyring
from strongroom.barrier.master_key import MasterKeyProvider
from strongroom.crypto import aead
from strongroom.domain.at_rest import Sealed
from strongroom.domain.errors import DecryptionFailed, StorageIntegrityError

__all__ = ["Barrier", "KeyringStore", "SealedBarrier"]

# The barrier's sealed error is the domain's: a call meeting it answers 503 at every edge.
SealedBarrier = Sealed


class KeyringStore(Protocol):
    """Port: where the wrapped keyring is persisted (the database, shared by all processes)."""

    def load_keyring(self) -> tuple[bytes, str] | None:
        """The wrapped keyring and the id of the master key that wrapped it, if any."""
        ...

    def save_keyring(self, wrapped: bytes, master_key_id: str) -> None:
        """Replace the stored wrapped keyring."""
        ...


class Barrier:
    """Seal/open values bound to a row identity. Layout: u32 term | nonce | ciphertext | tag."""

    def __init__(self) -> None:
        self._keyring: Keyring | None = None
        self._master_key_id: str | None = None
        self.sealed_reason: str | None = "not unsealed yet"

    @property
    def keyring(self) -> Keyring:
        if self._keyring is None:
            raise Sealed(f"Strongroom is sealed: {self.sealed_reason}")
        return self._keyring

    @property
    def sealed(self) -> bool:
        """Whether no keyring is loaded (values can be neither sealed nor opened)."""
        return self._keyring is None

    @property
    def master_key_id(self) -> str | None:
        """The id of the master key the loaded keyring was unwrapped with."""
        return self._master_key_id

    def load(self, master: MasterKeyProvider, wrapped: bytes) -> None:
        """Unwrap ``wrapped`` with ``master`` and use it (unsealed from now on); on failure
        the barrier keeps what it had."""
        keyring = Keyring.deserialize(master.unwrap(wrapped))
        self._keyring, self._master_key_id = keyring, master.key_id
        self.sealed_reason = None

    def mark_sealed(self, reason: str) -> None:
        """Say why the barrier is (still) sealed; a loaded keyring stays in use."""
        if self._keyring is None:
            self.sealed_reason = reason

    def initialize(self, master: MasterKeyProvider, store: KeyringStore) -> None:
        """Create, wrap and store a brand-new keyring (first start only)."""
        self._keyring = Keyring.new()
        store.save_keyring(master.wrap(self._keyring.serialize()), master.key_id)
        self._master_key_id, self.sealed_reason = master.key_id, None

    def unseal(self, master: MasterKeyProvider, store: KeyringStore) -> None:
        """Load the keyring, initializing it when the store has none."""
        stored = store.load_keyring()
        if stored is None:
            self.initialize(master, store)
            return
        self.load(master, stored[0])

    def seal(self, plaintext: bytes, identity: str) -> bytes:
        """Encrypt ``plaintext`` for the row named ``identity``."""
        ring = self.keyring
        term = ring.active
        return struct.pack(">I", term) + aead.seal(ring.cipher(term), plaintext, _aad(identity))

    def open(self, blob: bytes, identity: str) -> bytes:
        """Decrypt a sealed value; tampering, a moved value or an unknown term all fail alike,
        with :class:`StorageIntegrityError` naming the row (storage failed, not the caller)."""
        if len(blob) < 4:
            raise StorageIntegrityError(identity)
        (term,) = struct.unpack(">I", blob[:4])
        ring = self.keyring
        if term not in ring.terms:
            raise StorageIntegrityError(identity)
        try:
            return aead.open_sealed(ring.cipher(term), blob[4:], _aad(identity))
        except DecryptionFailed:
            raise StorageIntegrityError(identity) from None


def _aad(identity: str) -> bytes:
    return b"strongroom/row/v1:" + identity.encode("utf-8")
