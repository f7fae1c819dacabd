"""Envelope encryption of secret contents under the secret's vault key, and content digests.

Each version gets a fresh 256-bit data key; the content is sealed under it with AES-GCM and
the version's row identity as associated data, and the data key is sealed (AES-GCM) under the
material of the vault key's current version, with the same identity and that key version's id
as associated data. The key version id is stored so contents open after the key rotates.

The vault key is used on the caller's behalf (:func:`~.key_use.load_key_for_service`): the
caller's authorization is that of CreateSecret or GetSecretBundle, not of the key. Its states
are checked every time: a disabled or deleted key makes the secret unreadable, and says so.
Unwrapped data keys are cached (``deps.data_keys``) under the version's identity, the key
version and the wrapped key itself, so a cached one is exactly what unwrapping would give.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from strongroom.crypto import aead
from strongroom.domain.errors import (
    DecryptionFailed,
    IncorrectState,
    NotFound,
    StorageIntegrityError,
)
from strongroom.domain.secret import Secret, SecretVersion
from strongroom.services.kms.key_use import UsableKey, load_key_for_service
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "DATA_KEY_BYTES",
    "SealedContent",
    "digest",
    "new_digest_key",
    "open_content",
    "seal_content",
    "version_identity",
]

DATA_KEY_BYTES = 32


@dataclass(frozen=True)
class SealedContent:
    """What a version stores of its content."""

    key_version_id: str
    wrapped_key: bytes
    content: bytes


def version_identity(secret_id: str, number: int) -> str:
    """The row identity of a version (see :attr:`SecretVersion.identity`)."""
    return f"secret_versions/{secret_id}/{number}"


def seal_content(
    deps: Deps, tx: Transaction, secret: Secret, number: int, content: bytes
) -> SealedContent:
    """Seal ``content`` as version ``number`` of ``secret`` under its key's current version
    (read in ``tx``, the transaction that stores the version)."""
    usable = _key(deps, secret, None, tx)
    identity = version_identity(secret.id, number)
    data_key = deps.random_bytes(DATA_KEY_BYTES)
    wrapped = aead.seal(usable.material, data_key, _wrap_aad(identity, usable.version.id))
    sealed = aead.seal(data_key, content, identity.encode())
    return SealedContent(usable.version.id, wrapped, sealed)


def open_content(deps: Deps, secret: Secret, version: SecretVersion) -> bytes:
    """The plaintext content of ``version``; IncorrectState when it cannot be opened now,
    StorageIntegrityError when the stored content or data key does not open (tampered)."""
    try:
        return _open_content(deps, secret, version)
    except StorageIntegrityError:
        raise  # the key's material, named by its own row
    except DecryptionFailed:
        raise StorageIntegrityError(version.identity) from None


def _open_content(deps: Deps, secret: Secret, version: SecretVersion) -> bytes:
    if version.content is None or version.wrapped_key is None:
        raise IncorrectState("The secret version was deleted; its content no longer exists")
    usable = _key(deps, secret, version.key_version_id)  # the key's states, checked every time
    identity = version.identity
    name = (identity, usable.version.id, version.wrapped_key)
    data_key: aead.Cipher | None = deps.data_keys.get(name)
    if data_key is None:
        unwrapped = aead.open_sealed(
            usable.material, version.wrapped_key, _wrap_aad(identity, usable.version.id)
        )
        data_key = aead.cipher(unwrapped)
        deps.data_keys.put(name, data_key)
    return aead.open_sealed(data_key, version.content, identity.encode())


def new_digest_key(deps: Deps, secret_id: str) -> bytes:
    """A random key for content digests, sealed by the barrier for the secret's row."""
    return deps.barrier.seal(deps.random_bytes(32), _digest_identity(secret_id))


def digest(deps: Deps, secret: Secret, content: bytes) -> bytes:
    """HMAC-SHA256 of ``content`` under the secret's digest key: comparable, not reversible."""
    key = deps.barrier.open(secret.digest_key, _digest_identity(secret.id))
    return hmac.new(key, content, hashlib.sha256).digest()


def _key(
    deps: Deps, secret: Secret, key_version_id: str | None, tx: Transaction | None = None
) -> UsableKey:
    try:
        return load_key_for_service(deps, secret.tenancy_id, secret.key_id, key_version_id, tx)
    except IncorrectState as error:
        raise IncorrectState(
            f"The secret's encryption key cannot be used: {error.message}"
        ) from None
    except NotFound:
        raise IncorrectState(
            "The secret's encryption key (or key version) no longer exists"
        ) from None


def _wrap_aad(identity: str, key_version_id: str) -> bytes:
    return f"{identity}/data_key/{key_version_id}".encode()


def _digest_identity(secret_id: str) -> str:
    return f"secrets/{secret_id}/digest_key"
