"""Encrypt, Decrypt, GenerateDataEncryptionKey, Sign and Verify through the use cases: the
key state checks, rotation, and what each key algorithm refuses."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from strongroom.crypto.signing import MessageType
from strongroom.domain.errors import DecryptionFailed, IncorrectState, InvalidParameter
from strongroom.domain.key import Key, KeyVersion, make_shape
from strongroom.domain.vault import Vault
from strongroom.services.context import Call
from strongroom.services.kms import encryption, key_versions, keys, signatures, vaults
from strongroom.services.kms.key_use import MAX_PLAINTEXT
from strongroom.services.pending import Pending
from strongroom.services.ports import Deps
from tests.usecases import kms_support as k

NewVault = Callable[..., Vault]
NewAesKey = Callable[..., tuple[Key, KeyVersion]]


def test_encrypt_then_decrypt_names_the_current_version(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, version = new_aes_key(new_vault())
    sealed = k.encrypt(deps, admin_call, key, b"hello", associated_data={"a": "1"})
    assert (sealed.key_version_id, sealed.algorithm) == (version.id, "AES_256_GCM")
    opened = k.decrypt(deps, admin_call, key, sealed.ciphertext, associated_data={"a": "1"})
    assert (opened.plaintext, opened.key_version_id) == (b"hello", version.id)
    with pytest.raises(DecryptionFailed):
        k.decrypt(deps, admin_call, key, sealed.ciphertext, associated_data={"a": "2"})


def test_encrypt_refuses_more_than_4_kb(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    k.encrypt(deps, admin_call, key, b"x" * MAX_PLAINTEXT)
    with pytest.raises(InvalidParameter, match="plaintext must be at most 4096 bytes"):
        k.encrypt(deps, admin_call, key, b"x" * (MAX_PLAINTEXT + 1))


def test_a_disabled_key_cannot_encrypt_until_enabled_again(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    sealed = k.encrypt(deps, admin_call, key, b"before")
    ids = {"vault_id": key.vault_id, "key_id": key.id}
    keys.disable_key(deps, admin_call, keys.DisableKeyRequest(**ids))
    with pytest.raises(IncorrectState, match="The key is DISABLED"):
        k.encrypt(deps, admin_call, key, b"x")
    with pytest.raises(IncorrectState, match="The key is DISABLED"):
        k.decrypt(deps, admin_call, key, sealed.ciphertext)
    keys.enable_key(deps, admin_call, keys.EnableKeyRequest(**ids))
    assert k.decrypt(deps, admin_call, key, sealed.ciphertext).plaintext == b"before"


def test_a_key_pending_deletion_cannot_encrypt(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    request = keys.ScheduleKeyDeletionRequest(vault_id=key.vault_id, key_id=key.id)
    keys.schedule_key_deletion(deps, admin_call, request)
    with pytest.raises(IncorrectState, match="The key is PENDING_DELETION"):
        k.encrypt(deps, admin_call, key, b"x")


def test_keys_of_a_vault_pending_deletion_cannot_encrypt(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    vault = new_vault()
    key, _ = new_aes_key(vault)
    request = vaults.ScheduleVaultDeletionRequest(vault_id=vault.id)
    vaults.schedule_vault_deletion(deps, admin_call, request)
    with pytest.raises(IncorrectState, match="vault is PENDING_DELETION"):
        k.encrypt(deps, admin_call, key, b"x")


def test_after_rotation_old_ciphertexts_decrypt_and_new_ones_use_the_new_version(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, first = new_aes_key(new_vault())
    old = k.encrypt(deps, admin_call, key, b"old")
    rotate = key_versions.CreateKeyVersionRequest(vault_id=key.vault_id, key_id=key.id)
    second = key_versions.create_key_version(deps, admin_call, rotate)
    assert second.id != first.id

    new = k.encrypt(deps, admin_call, key, b"new")
    assert new.key_version_id == second.id
    assert k.decrypt(deps, admin_call, key, old.ciphertext).plaintext == b"old"
    assert k.decrypt(deps, admin_call, key, old.ciphertext).key_version_id == first.id
    assert k.decrypt(deps, admin_call, key, new.ciphertext).plaintext == b"new"
    # A ciphertext opens only with the version it names.
    with pytest.raises(DecryptionFailed):
        k.decrypt(deps, admin_call, key, old.ciphertext, key_version_id=second.id)
    # Encrypting with an older, still enabled version is allowed.
    again = k.encrypt(deps, admin_call, key, b"again", key_version_id=first.id)
    assert again.key_version_id == first.id


def test_a_ciphertext_of_another_key_does_not_decrypt(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    vault = new_vault()
    one, _ = new_aes_key(vault)
    other, _ = new_aes_key(vault)
    sealed = k.encrypt(deps, admin_call, one, b"mine")
    with pytest.raises(DecryptionFailed):
        k.decrypt(deps, admin_call, other, sealed.ciphertext)


def test_aes_keys_refuse_other_encryption_algorithms(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    with pytest.raises(InvalidParameter, match="for an AES key must be AES_256_GCM"):
        k.encrypt(deps, admin_call, key, b"x", algorithm="RSA_OAEP_SHA_256")


def test_rsa_keys_need_an_oaep_algorithm_and_then_round_trip(
    deps: Deps, admin_call: Call, new_vault: NewVault
) -> None:
    key = k.new_key(deps, admin_call, new_vault(), "RSA", 256)
    for algorithm in (None, "AES_256_GCM"):
        with pytest.raises(InvalidParameter, match="must be RSA_OAEP_SHA_1 or RSA_OAEP_SHA_256"):
            k.encrypt(deps, admin_call, key, b"x", algorithm=algorithm)
    sealed = k.encrypt(deps, admin_call, key, b"rsa", algorithm="RSA_OAEP_SHA_256")
    opened = k.decrypt(deps, admin_call, key, sealed.ciphertext, algorithm="RSA_OAEP_SHA_256")
    assert opened.plaintext == b"rsa"


def test_ecdsa_keys_cannot_encrypt(deps: Deps, admin_call: Call, new_vault: NewVault) -> None:
    key = k.new_key(deps, admin_call, new_vault(), "ECDSA", 32)
    with pytest.raises(InvalidParameter, match="ECDSA keys can sign and verify but cannot"):
        k.encrypt(deps, admin_call, key, b"x")


def test_data_keys_are_aes_under_an_aes_master_key(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    vault = new_vault()
    aes, _ = new_aes_key(vault)
    rsa = k.new_key(deps, admin_call, vault, "RSA", 256)

    def data_key(master: Key, algorithm: str, length: int) -> encryption.DataKey:
        request = encryption.GenerateDataEncryptionKeyRequest(
            vault_id=vault.id,
            key_id=master.id,
            key_shape=make_shape(algorithm, length, None),
            include_plaintext_key=True,
        )
        result = encryption.generate_data_key(deps, admin_call, request)
        assert not isinstance(result, Pending)
        return result

    made = data_key(aes, "AES", 16)
    assert made.plaintext is not None and len(made.plaintext) == 16
    assert k.decrypt(deps, admin_call, aes, made.ciphertext).plaintext == made.plaintext
    with pytest.raises(InvalidParameter, match="keyShape for a data encryption key must be AES"):
        data_key(aes, "RSA", 256)
    with pytest.raises(InvalidParameter, match="needs an AES master key"):
        data_key(rsa, "AES", 32)


def test_ecdsa_signs_and_verifies_and_aes_refuses(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    vault = new_vault()
    ecdsa = k.new_key(deps, admin_call, vault, "ECDSA", 32)
    aes, _ = new_aes_key(vault)
    request = signatures.SignRequest(
        vault_id=vault.id, key_id=ecdsa.id, message=b"msg", signing_algorithm="ECDSA_SHA_256"
    )
    signed = signatures.sign(deps, admin_call, request)

    def verify(message: bytes) -> bool:
        check = signatures.VerifyRequest(
            vault_id=vault.id,
            key_id=ecdsa.id,
            key_version_id=signed.key_version_id,
            message=message,
            message_type=MessageType.RAW,
            signing_algorithm="ECDSA_SHA_256",
            signature=signed.signature,
        )
        return signatures.verify(deps, admin_call, check).is_signature_valid

    assert verify(b"msg") is True
    assert verify(b"other") is False
    with pytest.raises(InvalidParameter, match="AES keys cannot sign or verify"):
        signatures.sign(
            deps,
            admin_call,
            signatures.SignRequest(
                vault_id=vault.id, key_id=aes.id, message=b"m", signing_algorithm="ECDSA_SHA_256"
            ),
        )
    with pytest.raises(InvalidParameter, match="cannot be used with a ECDSA key"):
        signatures.sign(
            deps,
            admin_call,
            signatures.SignRequest(
                vault_id=vault.id,
                key_id=ecdsa.id,
                message=b"m",
                signing_algorithm="SHA_256_RSA_PKCS_PSS",
            ),
        )
