"""Encrypt, Decrypt and GenerateDataEncryptionKey."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from strongroom.crypto import aead, asymmetric, ciphertext
from strongroom.domain.errors import DecryptionFailed, InvalidParameter, NotFound
from strongroom.domain.key import Algorithm, KeyShape
from strongroom.domain.paging import PageRequest
from strongroom.services.context import Call
from strongroom.services.external import crypto
from strongroom.services.kms.key_use import (
    UsableKey,
    canonical_associated_data,
    check_plaintext,
    use_key,
)
from strongroom.services.pending import Pending
from strongroom.services.ports import Deps

__all__ = [
    "AES_GCM",
    "DataKey",
    "DecryptRequest",
    "Decrypted",
    "EncryptRequest",
    "Encrypted",
    "GenerateDataEncryptionKeyRequest",
    "decrypt",
    "encrypt",
    "generate_data_key",
]

AES_GCM = "AES_256_GCM"
MAX_DATA_KEY = 1024


@dataclass(frozen=True, kw_only=True)
class EncryptRequest:
    """Input of Encrypt: up to 4 KB under the key's current version, or ``key_version_id``."""

    vault_id: str
    key_id: str
    key_version_id: str | None = None
    plaintext: bytes
    associated_data: dict[str, str] | None = None
    algorithm: str | None = None


@dataclass(frozen=True, kw_only=True)
class DecryptRequest:
    """Input of Decrypt: a ciphertext from Encrypt, with the same associated data."""

    vault_id: str
    key_id: str
    key_version_id: str | None = None
    ciphertext: bytes
    associated_data: dict[str, str] | None = None
    algorithm: str | None = None


@dataclass(frozen=True, kw_only=True)
class GenerateDataEncryptionKeyRequest:
    """Input of GenerateDataEncryptionKey: an AES data key of ``key_shape`` under the key."""

    vault_id: str
    key_id: str
    key_shape: KeyShape
    associated_data: dict[str, str] | None = None
    include_plaintext_key: bool = False
    # Another length than the shape's (1 to 1024 bytes; the Alibaba API's NumberOfBytes).
    number_of_bytes: int | None = None
    # The operation authorized (the Alibaba API's GenerateAndExportDataKey is one of its own).
    operation: str = "GenerateDataEncryptionKey"


@dataclass(frozen=True)
class Encrypted:
    """Result of Encrypt: the ciphertext names ``key_version_id``."""

    ciphertext: bytes
    key_id: str
    key_version_id: str
    algorithm: str


@dataclass(frozen=True)
class Decrypted:
    """Result of Decrypt."""

    plaintext: bytes
    key_id: str
    key_version_id: str
    algorithm: str

    @property
    def checksum(self) -> str:
        return str(zlib.crc32(self.plaintext))


@dataclass(frozen=True)
class DataKey:
    """Result of GenerateDataEncryptionKey; ``plaintext`` is None unless asked for."""

    ciphertext: bytes
    plaintext: bytes | None

    @property
    def checksum(self) -> str | None:
        return None if self.plaintext is None else str(zlib.crc32(self.plaintext))


def _algorithm_for(usable: UsableKey, requested: str | None) -> str:
    shape = usable.key.shape
    if shape.algorithm is Algorithm.AES:
        if requested not in (None, AES_GCM):
            raise InvalidParameter(f"encryptionAlgorithm for an AES key must be {AES_GCM}")
        return AES_GCM
    if shape.algorithm is Algorithm.RSA:
        if requested is None or requested == AES_GCM:
            raise InvalidParameter(
                "encryptionAlgorithm for an RSA key must be RSA_OAEP_SHA_1 or RSA_OAEP_SHA_256"
            )
        return requested
    raise InvalidParameter("ECDSA keys can sign and verify but cannot encrypt")


def _seal(usable: UsableKey, algorithm: str, plaintext: bytes, associated: bytes) -> bytes:
    if algorithm != AES_GCM:
        # Plain RSA-OAEP, as OCI returns it: data encrypted locally with the version's public
        # key decrypts through the API too. The caller keeps the keyVersionId for rotation.
        return asymmetric.encrypt(usable.material, algorithm, plaintext)
    header = ciphertext.header_for(usable.version.id)
    return header + aead.seal(usable.material, plaintext, header + associated)


def encrypt(deps: Deps, call: Call, request: EncryptRequest) -> Encrypted | Pending[Encrypted]:
    """Encrypt up to 4 KB under the key's current (or named) version.

    EXTERNAL keys give a :class:`Pending` (the EKM call), to be awaited on the event loop.
    """
    plaintext, key_id = request.plaintext, request.key_id
    check_plaintext(plaintext)
    usable = use_key(deps, call, request.vault_id, key_id, request.key_version_id, "Encrypt")
    chosen = _algorithm_for(usable, request.algorithm)
    associated_bytes = canonical_associated_data(request.associated_data)
    version_id = usable.version.id
    if usable.key.is_external:
        sealing = crypto.seal(deps, usable, plaintext, associated_bytes)
        return sealing.then(lambda blob: Encrypted(blob, key_id, version_id, chosen))
    blob = _seal(usable, chosen, plaintext, associated_bytes)
    return Encrypted(blob, key_id, version_id, chosen)


def decrypt(deps: Deps, call: Call, request: DecryptRequest) -> Decrypted | Pending[Decrypted]:
    """Decrypt a ciphertext from Encrypt; an AES ciphertext says which version made it.

    RSA ciphertexts are plain RSA-OAEP: they open with ``key_version_id``, else the current one.
    EXTERNAL keys give a :class:`Pending` (the EKM call).
    """
    vault_id, key_id, key_version_id = request.vault_id, request.key_id, request.key_version_id
    probe = use_key(deps, call, vault_id, key_id, key_version_id, "Decrypt")
    if probe.key.shape.algorithm is Algorithm.RSA:
        chosen = _algorithm_for(probe, request.algorithm)
        try:
            plaintext = asymmetric.decrypt(probe.material, chosen, request.ciphertext)
        except DecryptionFailed:
            if key_version_id is None and _has_older_versions(deps, key_id):
                raise InvalidParameter(_RSA_NEEDS_VERSION) from None
            raise
        return Decrypted(plaintext, key_id, probe.version.id, chosen)
    envelope = ciphertext.unpack(request.ciphertext)
    if key_version_id is not None and key_version_id != envelope.key_version_id:
        raise DecryptionFailed()
    if envelope.key_version_id == probe.version.id:
        usable = probe
    else:
        usable = _version_named_by(deps, call, vault_id, key_id, envelope.key_version_id)
    chosen = _algorithm_for(usable, request.algorithm)
    version_id = usable.version.id
    associated = canonical_associated_data(request.associated_data)
    if usable.key.is_external:
        opening = crypto.open_sealed(deps, usable, envelope, associated)
        return opening.then(lambda plain: Decrypted(plain, key_id, version_id, chosen))
    plaintext = aead.open_sealed(usable.material, envelope.payload, envelope.header + associated)
    return Decrypted(plaintext, key_id, version_id, chosen)


_RSA_NEEDS_VERSION = (
    "The ciphertext or its associated data is invalid. RSA ciphertexts do not name the key "
    "version that made them, and this key has more than one version: give the keyVersionId "
    "of the version that encrypted the data"
)


def _has_older_versions(deps: Deps, key_id: str) -> bool:
    """Whether the key has more than one version (a failed RSA decrypt may need an older)."""
    with deps.db.transaction(read_only=True) as tx:
        return len(tx.keys.list_versions(key_id, PageRequest(limit=2))) > 1


def _version_named_by(
    deps: Deps, call: Call, vault_id: str, key_id: str, version_id: str
) -> UsableKey:
    """The key version an AES ciphertext names (an older one, after rotation)."""
    try:
        return use_key(deps, call, vault_id, key_id, version_id, "Decrypt")
    except NotFound:
        # The ciphertext names a version this key does not have (tampered, or made by another
        # key): a bad ciphertext, not a missing resource (the key itself was found already).
        raise DecryptionFailed() from None


def generate_data_key(
    deps: Deps, call: Call, request: GenerateDataEncryptionKeyRequest
) -> DataKey | Pending[DataKey]:
    """A fresh AES data key, encrypted under an AES master key (and optionally in the clear).

    The data key is made here; an EXTERNAL master key wraps it in the EKM (a :class:`Pending`).
    """
    shape = request.key_shape
    if shape.algorithm is not Algorithm.AES:
        raise InvalidParameter("keyShape for a data encryption key must be AES")
    usable = use_key(deps, call, request.vault_id, request.key_id, None, request.operation)
    if usable.key.shape.algorithm is not Algorithm.AES:
        raise InvalidParameter("GenerateDataEncryptionKey needs an AES master key")
    length = shape.length if request.number_of_bytes is None else request.number_of_bytes
    if not 1 <= length <= MAX_DATA_KEY:
        raise InvalidParameter(f"A data key is 1 to {MAX_DATA_KEY} bytes long")
    data_key = deps.random_bytes(length)
    shown = data_key if request.include_plaintext_key else None
    associated = canonical_associated_data(request.associated_data)
    if usable.key.is_external:
        sealing = crypto.seal(deps, usable, data_key, associated)
        return sealing.then(lambda blob: DataKey(blob, shown))
    blob = _seal(usable, AES_GCM, data_key, associated)
    return DataKey(blob, shown)
