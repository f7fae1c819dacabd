"""ReEncrypt: a ciphertext opened under its key and sealed under another, the plaintext
never leaving the service."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.services.context import Call
from strongroom.services.kms.encryption import (
    Decrypted,
    DecryptRequest,
    Encrypted,
    EncryptRequest,
    decrypt,
    encrypt,
)
from strongroom.services.pending import Pending
from strongroom.services.ports import Deps

__all__ = ["ReEncryptRequest", "ReEncrypted", "re_encrypt"]


@dataclass(frozen=True, kw_only=True)
class ReEncryptRequest:
    """Input of ReEncrypt: the ciphertext with its key and associated data, and the key (and
    associated data) to seal it under instead."""

    source: DecryptRequest
    destination_vault_id: str
    destination_key_id: str
    destination_associated_data: dict[str, str] | None = None


@dataclass(frozen=True)
class ReEncrypted:
    """Result of ReEncrypt: the new ciphertext, and the source key version it came from."""

    encrypted: Encrypted
    source_key_id: str
    source_key_version_id: str


def re_encrypt(
    deps: Deps, call: Call, request: ReEncryptRequest
) -> ReEncrypted | Pending[ReEncrypted]:
    """Decrypt (authorized as Decrypt on the source key), then encrypt (as Encrypt on the
    destination key); EXTERNAL keys on either side give a :class:`Pending`."""
    opened = decrypt(deps, call, request.source)
    if isinstance(opened, Pending):
        source = opened

        async def later() -> ReEncrypted:
            sealed = _seal(deps, call, request, await source.result())
            return await sealed.result() if isinstance(sealed, Pending) else sealed

        return Pending(later)
    return _seal(deps, call, request, opened)


def _seal(
    deps: Deps, call: Call, request: ReEncryptRequest, opened: Decrypted
) -> ReEncrypted | Pending[ReEncrypted]:
    sealing = encrypt(
        deps,
        call,
        EncryptRequest(
            vault_id=request.destination_vault_id,
            key_id=request.destination_key_id,
            plaintext=opened.plaintext,
            associated_data=request.destination_associated_data,
        ),
    )

    def result(encrypted: Encrypted) -> ReEncrypted:
        return ReEncrypted(encrypted, opened.key_id, opened.key_version_id)

    return sealing.then(result) if isinstance(sealing, Pending) else result(sealing)
