"""Master key providers. The master key only ever wraps the keyring, never individual values."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Protocol

from strongroom.crypto import aead

__all__ = ["InternalMasterKey", "MasterKey", "MasterKeyProvider"]

_KEYRING_AAD = b"strongroom/keyring/v1"


class MasterKeyProvider(Protocol):
    """Port: something that can wrap and unwrap the keyring (internal file, KMIP server, ...)."""

    @property
    def key_id(self) -> str:
        """A non-secret identifier of the master key in use."""
        ...

    @property
    def management_type(self) -> str:
        """``internal`` or ``external``."""
        ...

    def wrap(self, keyring: bytes) -> bytes:
        """Encrypt the serialized keyring."""
        ...

    def unwrap(self, blob: bytes) -> bytes:
        """Decrypt a wrapped keyring; raise DecryptionFailed when it was not wrapped by this key."""
        ...


class MasterKey:
    """A 256-bit master key held in memory (fetched from a KMIP server, or read from a file)."""

    def __init__(self, key: bytes, key_id: str, management_type: str = "external") -> None:
        if len(key) != 32:
            raise ValueError("master key must be 32 bytes")
        self._key = key
        self._key_id = key_id
        self._management_type = management_type

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def management_type(self) -> str:
        return self._management_type

    def wrap(self, keyring: bytes) -> bytes:
        return aead.seal(self._key, keyring, _KEYRING_AAD)

    def unwrap(self, blob: bytes) -> bytes:
        return aead.open_sealed(self._key, blob, _KEYRING_AAD)

    def named(self, key_id: str) -> MasterKey:
        """The same key under another id (a legacy id's UUID form)."""
        return MasterKey(self._key, key_id, self._management_type)


class InternalMasterKey(MasterKey):
    """A 256-bit master key kept in a 0600 file in the data directory: ``master.key``, or
    ``master-<id>.key`` while a rekey to a new internal key runs (renamed over ``master.key``
    once the keyring is rewrapped)."""

    FILENAME = "master.key"

    def __init__(self, key: bytes, key_id: str) -> None:
        super().__init__(key, key_id, "internal")

    @classmethod
    def create(cls, data_dir: Path, key_id: str, filename: str = FILENAME) -> InternalMasterKey:
        """Write a new master key file; refuse to overwrite an existing one."""
        path = data_dir / filename
        key = os.urandom(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key_id.encode("ascii") + b"\n" + key.hex().encode("ascii") + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        return cls(key, key_id)

    @classmethod
    def load(cls, data_dir: Path, filename: str = FILENAME) -> InternalMasterKey:
        """Read the master key file, refusing one that others can read."""
        path = data_dir / filename
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise PermissionError(f"{path} must be readable by its owner only (chmod 600)")
        key_id, hex_key = path.read_text("ascii").split()
        return cls(bytes.fromhex(hex_key), key_id)

    @staticmethod
    def pending_filename(key_id: str) -> str:
        """The file of a new internal master key ``key_id`` before it replaces ``master.key``."""
        return f"master-{key_id}.key"
