"""The proxy's core: key metadata (re-read when ``keys.json`` changes) in front of a back end.

The hot path does no disk I/O: the keystore is held in memory and its file is only stat-ed,
at most every ``reload_interval`` seconds (and once more on an unknown key id), so keys made or
changed with the CLI while the server runs show up within that interval.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from strongroom.ekm_proxy.backends.base import KeyBackend, VersionRef
from strongroom.ekm_proxy.config import KEYS_FILE
from strongroom.ekm_proxy.errors import (
    BackendUnavailable,
    ConfigurationError,
    InvalidCiphertext,
    KeyDisabled,
    KeyNotFound,
    KeyUsageNotAllowed,
)
from strongroom.ekm_proxy.files import FileStamp
from strongroom.ekm_proxy.keystore import KeyRecord, KeyVersion, load_keys

log = logging.getLogger("strongroom.ekm_proxy")
DEFAULT_RELOAD_INTERVAL = 0.1


class Engine:
    """Looks keys up, enforces enabled/disabled, and runs AES-GCM through the back end."""

    def __init__(
        self,
        data_dir: Path,
        backend: KeyBackend,
        *,
        reload_interval: float = DEFAULT_RELOAD_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self._stamp = FileStamp(data_dir / KEYS_FILE)
        self._interval = reload_interval
        self._clock = clock
        self._checked = clock()
        self._keys: dict[str, KeyRecord] = {}
        self._load()

    # --- metadata ------------------------------------------------------------------------------

    def _load(self) -> None:
        state = self._stamp.now()
        try:
            self._keys = load_keys(self._stamp.path)
        except (ConfigurationError, OSError) as error:
            log.warning("keystore not reloaded: %s", error)
            return
        self._stamp.mark(state)

    def refresh(self, *, force: bool = False) -> None:
        """Re-read the keystore if its file changed (checked at most every interval)."""
        now = self._clock()
        if force or now - self._checked >= self._interval:
            self._checked = now
            if self._stamp.changed():
                self._load()

    def keys(self) -> dict[str, KeyRecord]:
        """The current snapshot of all keys."""
        self.refresh()
        return self._keys

    def key(self, key_id: str) -> KeyRecord:
        """The key, or KeyNotFound."""
        self.refresh()
        record = self._keys.get(key_id)
        if record is None:
            self.refresh(force=True)
            record = self._keys.get(key_id)
            if record is None:
                raise KeyNotFound(f"Key {key_id} not found")
        return record

    def key_for(self, key_id: str, operation: str) -> KeyRecord:
        """The key, if its usage allows ``operation`` (encrypt or decrypt)."""
        record = self.key(key_id)
        if operation not in record.usage:
            raise KeyUsageNotAllowed(key_id, operation)
        return record

    @staticmethod
    def version(record: KeyRecord, version_id: str) -> KeyVersion:
        """The key's version, or KeyNotFound."""
        version = record.versions.get(version_id)
        if version is None:
            raise KeyNotFound(f"Key version {version_id} of key {record.key_id} not found")
        return version

    @staticmethod
    def check_usable(record: KeyRecord, version: KeyVersion) -> None:
        """KeyDisabled unless both the key and the version are enabled."""
        if not record.enabled:
            raise KeyDisabled(f"Key {record.key_id} is disabled")
        if not version.enabled:
            raise KeyDisabled(f"Version {version.version_id} of key {record.key_id} is disabled")

    def for_encrypt(self, key_id: str, version_id: str | None) -> tuple[KeyRecord, KeyVersion]:
        """The enabled key and version to encrypt with (the current one unless named)."""
        record = self.key_for(key_id, "encrypt")
        version = self.version(record, version_id or record.current_version)
        self.check_usable(record, version)
        return record, version

    def for_decrypt(self, key_id: str, version_id: str) -> tuple[KeyRecord, KeyVersion]:
        """The enabled key and version a ciphertext names (unknown version: InvalidCiphertext)."""
        record = self.key_for(key_id, "decrypt")
        version = record.versions.get(version_id)
        if version is None:
            raise InvalidCiphertext()
        self.check_usable(record, version)
        return record, version

    # --- crypto --------------------------------------------------------------------------------

    def encrypt(
        self, record: KeyRecord, version: KeyVersion, plaintext: bytes, aad: bytes
    ) -> tuple[bytes, bytes]:
        """(nonce, ciphertext || tag) under this version."""
        ref = VersionRef(record.key_id, version.version_id, version.sealed)
        return self.backend.encrypt(ref, plaintext, aad)

    def decrypt(
        self, record: KeyRecord, version: KeyVersion, nonce: bytes, sealed: bytes, aad: bytes
    ) -> bytes:
        """The plaintext, or InvalidCiphertext."""
        ref = VersionRef(record.key_id, version.version_id, version.sealed)
        return self.backend.decrypt(ref, nonce, sealed, aad)

    def health(self) -> dict[str, str]:
        """A deep check of the back end; raises BackendUnavailable."""
        try:
            details = self.backend.check()
        except BackendUnavailable:
            raise
        except Exception as error:  # a back end must never take the health endpoint down
            log.exception("health check failed")
            raise BackendUnavailable(f"health check failed: {type(error).__name__}") from None
        return {"backend": self.backend.name, **details}
