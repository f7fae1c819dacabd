"""GenerateAndExportDataKey: a data key under a master key, also wrapped for the caller.

The data key is made exactly as GenerateDataEncryptionKey makes it, authorized as
GenerateAndExportDataKey (the caller needs KEY_ENCRYPT on the master key, or the key policy's
kms:GenerateAndExportDataKey); its plaintext never leaves this
function except wrapped under the caller's RSA public key with RSA-OAEP. The caller's key and
the algorithm are checked before anything is made, so a bad request costs no data key.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto import ciphertext, public_wrapping
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.key import Algorithm, KeyShape
from strongroom.services.context import Call
from strongroom.services.kms.encryption import (
    MAX_DATA_KEY,
    DataKey,
    GenerateDataEncryptionKeyRequest,
    generate_data_key,
)
from strongroom.services.pending import Pending
from strongroom.services.ports import Deps

__all__ = [
    "WRAPPING_ALGORITHMS",
    "ExportedDataKey",
    "GenerateAndExportDataKeyRequest",
    "generate_and_export_data_key",
]

WRAPPING_ALGORITHMS = ("RSA_OAEP_SHA_1", "RSA_OAEP_SHA_256")


@dataclass(frozen=True, kw_only=True)
class GenerateAndExportDataKeyRequest:
    """Input of GenerateAndExportDataKey: a data key of ``number_of_bytes`` under the master
    key, and wrapped with ``wrapping_algorithm`` under ``public_key`` (DER
    SubjectPublicKeyInfo of an RSA key of ``public_key_bits``, when the caller says)."""

    vault_id: str
    key_id: str
    number_of_bytes: int = 32
    associated_data: dict[str, str] | None = None
    public_key: bytes
    public_key_bits: int | None = None
    wrapping_algorithm: str


@dataclass(frozen=True)
class ExportedDataKey:
    """Result of GenerateAndExportDataKey: ``ciphertext`` decrypts under the master key (as
    GenerateDataEncryptionKey's does), ``exported_key`` with the caller's private key."""

    ciphertext: bytes
    exported_key: bytes
    key_id: str
    key_version_id: str


def generate_and_export_data_key(
    deps: Deps, call: Call, request: GenerateAndExportDataKeyRequest
) -> ExportedDataKey | Pending[ExportedDataKey]:
    """A fresh data key under the master key's current version, and wrapped for the caller.

    An EXTERNAL master key wraps the data key in its EKM (a :class:`Pending`); the wrapping
    for the caller happens here either way.
    """
    public = _caller_key(request)
    made = generate_data_key(
        deps,
        call,
        GenerateDataEncryptionKeyRequest(
            vault_id=request.vault_id,
            key_id=request.key_id,
            key_shape=KeyShape(Algorithm.AES, 32),
            associated_data=request.associated_data,
            include_plaintext_key=True,
            number_of_bytes=request.number_of_bytes,
            operation="GenerateAndExportDataKey",
        ),
    )
    key_id, algorithm = request.key_id, request.wrapping_algorithm

    def export(data_key: DataKey) -> ExportedDataKey:
        assert data_key.plaintext is not None  # asked for: include_plaintext_key
        wrapped = public_wrapping.oaep_wrap(public, algorithm, data_key.plaintext)
        version_id = ciphertext.unpack(data_key.ciphertext).key_version_id
        return ExportedDataKey(data_key.ciphertext, wrapped, key_id, version_id)

    if isinstance(made, Pending):
        return made.then(export)
    return export(made)


def _caller_key(request: GenerateAndExportDataKeyRequest) -> public_wrapping.PublicKey:
    """The caller's public key, checked to hold a data key of the requested length."""
    if request.wrapping_algorithm not in WRAPPING_ALGORITHMS:
        raise InvalidParameter(
            f"The wrapping algorithm must be one of {', '.join(WRAPPING_ALGORITHMS)}"
        )
    if not 1 <= request.number_of_bytes <= MAX_DATA_KEY:
        raise InvalidParameter(f"A data key is 1 to {MAX_DATA_KEY} bytes long")
    public = public_wrapping.load_rsa_public_der(request.public_key, request.public_key_bits)
    limit = public_wrapping.oaep_limit(public, request.wrapping_algorithm)
    if request.number_of_bytes > limit:
        digest = "SHA-1" if request.wrapping_algorithm == "RSA_OAEP_SHA_1" else "SHA-256"
        raise InvalidParameter(
            f"A {public.key_size}-bit public key wraps at most {limit} bytes with RSA-OAEP "
            f"and {digest}; ask for a shorter data key or use a larger key"
        )
    return public
