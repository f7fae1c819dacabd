"""KMS builders for the use-case tests: keys of any shape, and the crypto calls they make."""

from __future__ import annotations

import uuid

from strongroom.domain.key import Key, ProtectionMode, make_shape
from strongroom.domain.vault import Vault
from strongroom.services.context import Call
from strongroom.services.kms import encryption, keys
from strongroom.services.pending import Pending
from strongroom.services.ports import Deps


def new_key(deps: Deps, call: Call, vault: Vault, algorithm: str, length: int) -> Key:
    """An ENABLED software key of ``algorithm`` and ``length`` (the curve follows the length)."""
    request = keys.CreateKeyRequest(
        vault_id=vault.id,
        compartment_id=vault.compartment_id,
        display_name=f"{algorithm.lower()}-{uuid.uuid4().hex[:8]}",
        key_shape=make_shape(algorithm, length, None),
        protection_mode=ProtectionMode.SOFTWARE,
    )
    return keys.create_key(deps, call, request).key


def encrypt(
    deps: Deps,
    call: Call,
    key: Key,
    plaintext: bytes,
    *,
    key_version_id: str | None = None,
    associated_data: dict[str, str] | None = None,
    algorithm: str | None = None,
) -> encryption.Encrypted:
    """Encrypt with a software key (never an EKM call: the result is there at once)."""
    request = encryption.EncryptRequest(
        vault_id=key.vault_id,
        key_id=key.id,
        key_version_id=key_version_id,
        plaintext=plaintext,
        associated_data=associated_data,
        algorithm=algorithm,
    )
    result = encryption.encrypt(deps, call, request)
    assert not isinstance(result, Pending)
    return result


def decrypt(
    deps: Deps,
    call: Call,
    key: Key,
    ciphertext: bytes,
    *,
    key_version_id: str | None = None,
    associated_data: dict[str, str] | None = None,
    algorithm: str | None = None,
) -> encryption.Decrypted:
    """Decrypt with a software key."""
    request = encryption.DecryptRequest(
        vault_id=key.vault_id,
        key_id=key.id,
        key_version_id=key_version_id,
        ciphertext=ciphertext,
        associated_data=associated_data,
        algorithm=algorithm,
    )
    result = encryption.decrypt(deps, call, request)
    assert not isinstance(result, Pending)
    return result
