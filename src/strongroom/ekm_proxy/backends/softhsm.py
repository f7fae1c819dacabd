"""The softhsm back end: AES-256 versions generated inside a PKCS#11 token (SoftHSM2).

Keys are token objects, sensitive and non-extractable, labelled ``srekm:{key}:{version}``;
AES-GCM runs inside the token (CKM_AES_GCM). All calls happen on one thread (the server's
event loop, or the CLI), with one logged-in session that is reopened after a failure (at most
once a second, so a wrong PIN is not hammered).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from typing import Any

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11
from pkcs11.mechanisms import GCMParams

from strongroom.ekm_proxy.backends.base import NONCE_BYTES, TAG_BYTES, VersionRef
from strongroom.ekm_proxy.config import SoftHsmSettings
from strongroom.ekm_proxy.errors import BackendUnavailable, InvalidCiphertext

HEALTH_LABEL = "srekm-health"
RETRY_SECONDS = 1.0
_KEY_TEMPLATE = {
    Attribute.TOKEN: True,
    Attribute.PRIVATE: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.ENCRYPT: True,
    Attribute.DECRYPT: True,
    Attribute.WRAP: False,
    Attribute.UNWRAP: False,
    Attribute.SIGN: False,
    Attribute.VERIFY: False,
    Attribute.DERIVE: False,
}
# Errors a decrypt may raise for a ciphertext that does not authenticate (SoftHSM2 reports a
# bad tag as CKR_GENERAL_ERROR).
_BAD_CIPHERTEXT = (
    p11.EncryptedDataInvalid,
    p11.EncryptedDataLenRange,
    p11.DataInvalid,
    p11.DataLenRange,
    p11.GeneralError,
    p11.FunctionFailed,
)


def label_for(key_id: str, version_id: str) -> str:
    """The token object label of one key version."""
    return f"srekm:{key_id}:{version_id}"


def load_library(settings: SoftHsmSettings) -> Any:
    """Load the PKCS#11 module (SOFTHSM2_CONF from the settings, when given, applies first)."""
    if settings.softhsm_conf:
        os.environ["SOFTHSM2_CONF"] = settings.softhsm_conf
    try:
        return pkcs11.lib(settings.module)
    except (RuntimeError, OSError, p11.PKCS11Error) as error:
        raise BackendUnavailable(
            f"cannot load the PKCS#11 module {settings.module}: {type(error).__name__}"
        ) from None


class SoftHsmBackend:
    """AES-256-GCM inside a PKCS#11 token."""

    name = "softhsm"

    def __init__(self, settings: SoftHsmSettings) -> None:
        self.settings = settings
        self._lib: Any = None
        self._session: Any = None
        self._keys: dict[str, Any] = {}
        self._retry_at = 0.0
        self._last_error = "not opened yet"
        self._reinitialize = False
        self._lock = threading.RLock()

    # --- session ---------------------------------------------------------------------------

    def _open(self) -> Any:
        if self._session is not None:
            return self._session
        if time.monotonic() < self._retry_at:
            raise BackendUnavailable(f"the HSM token is unavailable ({self._last_error})")
        try:
            if self._lib is None:
                self._lib = load_library(self.settings)
            elif self._reinitialize:
                # After a token vanished SoftHSM2's slot list stays broken until the module
                # is finalised and initialised again.
                self._lib.reinitialize()
            self._reinitialize = False
            pin = self.settings.resolved_pin()
            if not pin:
                raise BackendUnavailable("no user PIN configured for the HSM token")
            token = self._lib.get_token(token_label=self.settings.token_label)
            try:
                self._session = token.open(user_pin=pin, rw=True)
            except p11.UserAlreadyLoggedIn:
                self._session = token.open(rw=True)
        except BackendUnavailable as error:
            self._fail(error.message)
            raise
        except (p11.PKCS11Error, RuntimeError, OSError) as error:
            self._fail(f"cannot open token {self.settings.token_label!r}: {type(error).__name__}")
            raise BackendUnavailable(f"the HSM token is unavailable ({self._last_error})") from None
        return self._session

    def _fail(self, reason: str) -> None:
        self._last_error = reason
        self._reinitialize = True
        self._retry_at = time.monotonic() + RETRY_SECONDS
        self._drop()

    def _drop(self) -> None:
        session, self._session = self._session, None
        self._keys.clear()
        if session is not None:
            with contextlib.suppress(p11.PKCS11Error, RuntimeError):
                session.close()

    def _broken(self, error: Exception) -> BackendUnavailable:
        self._fail(f"token operation failed: {type(error).__name__}")
        return BackendUnavailable(f"the HSM token is unavailable ({self._last_error})")

    def _key(self, label: str, *, create: bool = False) -> Any:
        cached = self._keys.get(label)
        if cached is not None:
            return cached
        session = self._open()
        try:
            key = session.get_key(
                key_type=KeyType.AES, object_class=ObjectClass.SECRET_KEY, label=label
            )
        except p11.NoSuchKey:
            if not create:
                raise BackendUnavailable("key material is missing from the HSM token") from None
            key = self._generate(label)
        except p11.PKCS11Error as error:
            raise self._broken(error) from None
        self._keys[label] = key
        return key

    def _generate(self, label: str) -> Any:
        session = self._open()
        try:
            return session.generate_key(
                KeyType.AES, 256, label=label, store=True, template=_KEY_TEMPLATE
            )
        except p11.PKCS11Error as error:
            raise self._broken(error) from None

    # --- port --------------------------------------------------------------------------------

    def generate(self, key_id: str, version_id: str) -> str | None:
        with self._lock:
            self._generate(label_for(key_id, version_id))
        return None

    def encrypt(self, ref: VersionRef, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
        with self._lock:
            key = self._key(label_for(ref.key_id, ref.version_id))
            nonce = os.urandom(NONCE_BYTES)
            try:
                out = key.encrypt(
                    plaintext, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(nonce, aad)
                )
            except p11.PKCS11Error as error:
                raise self._broken(error) from None
            return nonce, bytes(out)

    def decrypt(self, ref: VersionRef, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        if len(nonce) != NONCE_BYTES or len(ciphertext) < TAG_BYTES:
            raise InvalidCiphertext()
        with self._lock:
            key = self._key(label_for(ref.key_id, ref.version_id))
            try:
                out = key.decrypt(
                    ciphertext, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(nonce, aad)
                )
            except _BAD_CIPHERTEXT:
                raise InvalidCiphertext() from None
            except p11.PKCS11Error as error:
                raise self._broken(error) from None
            return bytes(out)

    def check(self) -> dict[str, str]:
        with self._lock:
            key = self._key(HEALTH_LABEL, create=True)
            probe = os.urandom(16)
            nonce = os.urandom(NONCE_BYTES)
            params = GCMParams(nonce, b"health")
            try:
                sealed = key.encrypt(probe, mechanism=Mechanism.AES_GCM, mechanism_param=params)
                opened = key.decrypt(sealed, mechanism=Mechanism.AES_GCM, mechanism_param=params)
            except p11.PKCS11Error as error:
                raise self._broken(error) from None
            if bytes(opened) != probe:
                raise self._broken(RuntimeError("round trip mismatch"))
            return {"token": self.settings.token_label, "module": self.settings.module}

    def close(self) -> None:
        with self._lock:
            self._drop()
