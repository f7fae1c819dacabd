"""Encrypt, Decrypt and GenerateDataEncryptionKey through the official SDK's KmsCryptoClient."""

from __future__ import annotations

import os
import zlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from oci.key_management import KmsCryptoClient, KmsManagementClient
from oci.key_management import models as m

from tests.helpers import b64d, b64e
from tests.integration import support
from tests.integration.support import service_error


def _decrypt(crypto: KmsCryptoClient, key: m.Key, ciphertext: str, **kwargs: object) -> bytes:
    details = m.DecryptDataDetails(key_id=key.id, ciphertext=ciphertext, **kwargs)
    return b64d(crypto.decrypt(details).data.plaintext)


@pytest.mark.parametrize("size", [1, 100, 4096])
def test_encrypt_decrypt_round_trip(
    shared_crypto: KmsCryptoClient, shared_keys: dict[str, m.Key], size: int
) -> None:
    key = shared_keys["aes"]
    plaintext = os.urandom(size)
    response = shared_crypto.encrypt(m.EncryptDataDetails(key_id=key.id, plaintext=b64e(plaintext)))
    assert response.request_id
    encrypted = response.data
    assert encrypted.key_id == key.id
    assert encrypted.key_version_id == key.current_key_version
    assert encrypted.encryption_algorithm == "AES_256_GCM"
    if size >= 16:
        assert plaintext not in b64d(encrypted.ciphertext)

    decrypted = shared_crypto.decrypt(
        m.DecryptDataDetails(key_id=key.id, ciphertext=encrypted.ciphertext)
    ).data
    assert b64d(decrypted.plaintext) == plaintext
    assert decrypted.plaintext_checksum == str(zlib.crc32(plaintext))
    assert decrypted.key_version_id == key.current_key_version

    # Encryption is randomized: the same plaintext never gives the same ciphertext.
    again = shared_crypto.encrypt(m.EncryptDataDetails(key_id=key.id, plaintext=b64e(plaintext)))
    assert again.data.ciphertext != encrypted.ciphertext


@pytest.mark.parametrize("length", [16, 24, 32])
def test_every_aes_length_encrypts(
    kms: KmsManagementClient, crypto: KmsCryptoClient, tenancy: str, length: int
) -> None:
    key = support.new_key(kms, tenancy, "AES", length)
    ciphertext = crypto.encrypt(m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"abc"))).data
    assert _decrypt(crypto, key, ciphertext.ciphertext) == b"abc"


def test_associated_data_is_bound(
    shared_crypto: KmsCryptoClient, shared_keys: dict[str, m.Key]
) -> None:
    key = shared_keys["aes"]
    context = {"tenant": "acme", "purpose": "backup"}
    encrypted = shared_crypto.encrypt(
        m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"secret"), associated_data=context)
    ).data
    # Key order of the map does not matter.
    reordered = {"purpose": "backup", "tenant": "acme"}
    assert (
        _decrypt(shared_crypto, key, encrypted.ciphertext, associated_data=reordered) == b"secret"
    )

    for wrong in ({"tenant": "acme"}, {"tenant": "acme", "purpose": "other"}, None):
        details = m.DecryptDataDetails(
            key_id=key.id, ciphertext=encrypted.ciphertext, associated_data=wrong
        )
        service_error(shared_crypto.decrypt, details, status=400, code="InvalidParameter")

    # And a ciphertext made without associated data refuses some at decrypt time.
    bare = shared_crypto.encrypt(m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"x"))).data
    details = m.DecryptDataDetails(
        key_id=key.id, ciphertext=bare.ciphertext, associated_data=context
    )
    service_error(shared_crypto.decrypt, details, status=400, code="InvalidParameter")


def test_decrypt_with_explicit_version(
    shared_crypto: KmsCryptoClient, shared_keys: dict[str, m.Key]
) -> None:
    key = shared_keys["aes"]
    encrypted = shared_crypto.encrypt(
        m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"v"))
    ).data
    plain = _decrypt(
        shared_crypto, key, encrypted.ciphertext, key_version_id=key.current_key_version
    )
    assert plain == b"v"


@pytest.mark.parametrize("length", [16, 24, 32])
@pytest.mark.parametrize("include", [True, False])
def test_generate_data_encryption_key(
    shared_crypto: KmsCryptoClient, shared_keys: dict[str, m.Key], length: int, include: bool
) -> None:
    key = shared_keys["aes"]
    details = m.GenerateKeyDetails(
        key_id=key.id,
        key_shape=m.KeyShape(algorithm="AES", length=length),
        include_plaintext_key=include,
        associated_data={"for": "dek"},
    )
    generated = shared_crypto.generate_data_encryption_key(details).data
    unwrapped = _decrypt(shared_crypto, key, generated.ciphertext, associated_data={"for": "dek"})
    assert len(unwrapped) == length
    if include:
        assert b64d(generated.plaintext) == unwrapped
        assert generated.plaintext_checksum == str(zlib.crc32(unwrapped))
    else:
        assert generated.plaintext is None
        assert generated.plaintext_checksum is None

    other = shared_crypto.generate_data_encryption_key(details).data
    assert other.ciphertext != generated.ciphertext
    assert (
        _decrypt(shared_crypto, key, other.ciphertext, associated_data={"for": "dek"}) != unwrapped
    )


def test_generate_data_encryption_key_needs_an_aes_shape(
    shared_crypto: KmsCryptoClient, shared_keys: dict[str, m.Key]
) -> None:
    details = m.GenerateKeyDetails(
        key_id=shared_keys["aes"].id,
        key_shape=m.KeyShape(algorithm="RSA", length=256),
        include_plaintext_key=True,
    )
    service_error(
        shared_crypto.generate_data_encryption_key, details, status=400, code="InvalidParameter"
    )


@pytest.mark.parametrize("algorithm", ["RSA_OAEP_SHA_256", "RSA_OAEP_SHA_1"])
def test_rsa_encrypt_decrypt(
    shared_crypto: KmsCryptoClient, shared_keys: dict[str, m.Key], algorithm: str
) -> None:
    key = shared_keys["rsa2048"]
    plaintext = os.urandom(100)
    encrypted = shared_crypto.encrypt(
        m.EncryptDataDetails(
            key_id=key.id, plaintext=b64e(plaintext), encryption_algorithm=algorithm
        )
    ).data
    assert encrypted.encryption_algorithm == algorithm
    assert encrypted.key_version_id == key.current_key_version
    decrypted = shared_crypto.decrypt(
        m.DecryptDataDetails(
            key_id=key.id, ciphertext=encrypted.ciphertext, encryption_algorithm=algorithm
        )
    ).data
    assert b64d(decrypted.plaintext) == plaintext
    assert decrypted.encryption_algorithm == algorithm


def test_rsa_encrypt_refuses_what_oaep_cannot_hold(
    shared_crypto: KmsCryptoClient, shared_keys: dict[str, m.Key]
) -> None:
    key = shared_keys["rsa2048"]
    # RSA-2048 with OAEP-SHA256 holds at most 256 - 2*32 - 2 = 190 bytes.
    too_long = m.EncryptDataDetails(
        key_id=key.id, plaintext=b64e(os.urandom(191)), encryption_algorithm="RSA_OAEP_SHA_256"
    )
    service_error(shared_crypto.encrypt, too_long, status=400, code="InvalidParameter")
    fits = m.EncryptDataDetails(
        key_id=key.id, plaintext=b64e(os.urandom(190)), encryption_algorithm="RSA_OAEP_SHA_256"
    )
    assert shared_crypto.encrypt(fits).data.ciphertext

    # An RSA key needs an RSA algorithm; an AES key refuses an RSA one.
    for key_name, algorithm in (("rsa2048", "AES_256_GCM"), ("aes", "RSA_OAEP_SHA_256")):
        details = m.EncryptDataDetails(
            key_id=shared_keys[key_name].id, plaintext=b64e(b"x"), encryption_algorithm=algorithm
        )
        service_error(shared_crypto.encrypt, details, status=400, code="InvalidParameter")


def test_rsa_decrypt_with_the_wrong_oaep_hash_fails(
    shared_crypto: KmsCryptoClient, shared_keys: dict[str, m.Key]
) -> None:
    key = shared_keys["rsa2048"]
    encrypted = shared_crypto.encrypt(
        m.EncryptDataDetails(
            key_id=key.id, plaintext=b64e(b"x"), encryption_algorithm="RSA_OAEP_SHA_256"
        )
    ).data
    details = m.DecryptDataDetails(
        key_id=key.id, ciphertext=encrypted.ciphertext, encryption_algorithm="RSA_OAEP_SHA_1"
    )
    service_error(shared_crypto.decrypt, details, status=400, code="InvalidParameter")


def test_rsa_decrypt_of_data_encrypted_locally_with_the_public_key(
    shared_kms: KmsManagementClient, shared_crypto: KmsCryptoClient, shared_keys: dict[str, m.Key]
) -> None:
    key = shared_keys["rsa2048"]
    pem = shared_kms.get_key_version(key.id, key.current_key_version).data.public_key
    public = serialization.load_pem_public_key(pem.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    ciphertext = public.encrypt(b"sealed on the client", oaep)
    decrypted = shared_crypto.decrypt(
        m.DecryptDataDetails(
            key_id=key.id,
            key_version_id=key.current_key_version,
            ciphertext=b64e(ciphertext),
            encryption_algorithm="RSA_OAEP_SHA_256",
        )
    ).data
    assert b64d(decrypted.plaintext) == b"sealed on the client"
