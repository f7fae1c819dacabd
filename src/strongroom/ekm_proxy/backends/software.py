"""The software back end: AES-256 versions sealed under a master key file (mode 0600).

Each version's 32 bytes are sealed with AES-GCM under the master key, with the key id and
version id as associated data, so sealed material moved to another record fails to open.
Unsealed keys live only in process memory.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.crypto import aead
from strongroom.domain.errors import DecryptionFailed
from strongroom.ekm_proxy.backends.base import NONCE_BYTES, TAG_BYTES, VersionRef
from strongroom.ekm_proxy.config import MASTER_KEY_FILE
from strongroom.ekm_proxy.errors import BackendUnavailable, InvalidCiphertext
from strongroom.ekm_proxy.files import create_secret_file

KEY_BYTES = 32


def create_master_key(data_dir: Path) -> None:
    """Write a fresh random master key file (mode 0600); fails if one exists."""
    create_secret_file(data_dir / MASTER_KEY_FILE, os.urandom(KEY_BYTES))


def _seal_aad(key_id: str, version_id: str) -> bytes:
    return f"strongroom-ekm/software/v1|{key_id}|{version_id}".encode()


class SoftwareBackend:
    """Key versions sealed at rest under ``master.key``; AES-GCM in process."""

    name = "software"

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / MASTER_KEY_FILE
        self._master: AESGCM | None = None
        self._ciphers: dict[tuple[str, str], AESGCM] = {}
        self._lock = threading.Lock()

    def _read_master(self) -> bytes:
        try:
            raw = self._path.read_bytes()
        except OSError:
            raise BackendUnavailable("the master key file cannot be read") from None
        if len(raw) != KEY_BYTES:
            raise BackendUnavailable("the master key file is malformed")
        return raw

    def _master_cipher(self) -> AESGCM:
        if self._master is None:
            self._master = aead.cipher(self._read_master())
        return self._master

    def generate(self, key_id: str, version_id: str) -> str | None:
        material = os.urandom(KEY_BYTES)
        sealed = aead.seal(self._master_cipher(), material, _seal_aad(key_id, version_id))
        return base64.b64encode(sealed).decode("ascii")

    def _cipher(self, ref: VersionRef) -> AESGCM:
        cached = self._ciphers.get((ref.key_id, ref.version_id))
        if cached is not None:
            return cached
        with self._lock:
            if ref.sealed is None:
                raise BackendUnavailable("the key version has no sealed material")
            try:
                blob = base64.b64decode(ref.sealed, validate=True)
                material = aead.open_sealed(
                    self._master_cipher(), blob, _seal_aad(ref.key_id, ref.version_id)
                )
            except (binascii.Error, ValueError, DecryptionFailed):
                raise BackendUnavailable("sealed key material cannot be opened") from None
            cipher = AESGCM(material)
            self._ciphers[(ref.key_id, ref.version_id)] = cipher
            return cipher

    def encrypt(self, ref: VersionRef, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        return nonce, self._cipher(ref).encrypt(nonce, plaintext, aad)

    def decrypt(self, ref: VersionRef, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        if len(nonce) != NONCE_BYTES or len(ciphertext) < TAG_BYTES:
            raise InvalidCiphertext()
        try:
            return self._cipher(ref).decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            raise InvalidCiphertext() from None

    def check(self) -> dict[str, str]:
        current = self._read_master()
        probe = os.urandom(16)
        cipher = self._master_cipher()
        try:
            same = aead.open_sealed(aead.cipher(current), aead.seal(cipher, probe, b"h"), b"h")
        except DecryptionFailed:
            raise BackendUnavailable("the master key file changed under the proxy") from None
        if same != probe:
            raise BackendUnavailable("the master key round trip failed")
        return {"keystore": "sealed", "masterKey": "ok"}

    def close(self) -> None:
        self._ciphers.clear()
        self._master = None
