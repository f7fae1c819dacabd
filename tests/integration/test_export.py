"""ExportKey: unwrap the exported material locally with our own RSA private key and use it."""

from __future__ import annotations

import struct

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding
from oci.key_management import KmsCryptoClient, KmsManagementClient
from oci.key_management import models as m

from tests.helpers import b64d, b64e
from tests.integration import support
from tests.integration.support import service_error

OAEP_SHA256 = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


@pytest.fixture(scope="module")
def wrapping_key() -> rsa.RSAPrivateKey:
    """The caller's own RSA key pair; only its public half goes to the server."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _public_pem(private: rsa.RSAPrivateKey) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _unwrap(private: rsa.RSAPrivateKey, algorithm: str, blob: bytes) -> bytes:
    if algorithm == "RSA_OAEP_SHA256":
        return private.decrypt(blob, OAEP_SHA256)
    # RSA_OAEP_AES_SHA256: RSA-OAEP(SHA-256) of a one-time AES key, then RFC 5649 key wrap.
    modulus_bytes = private.key_size // 8
    ephemeral = private.decrypt(blob[:modulus_bytes], OAEP_SHA256)
    assert len(ephemeral) == 32
    return aes_key_unwrap_with_padding(ephemeral, blob[modulus_bytes:])


def _export(
    crypto: KmsCryptoClient,
    key: m.Key,
    algorithm: str,
    wrapping_key: rsa.RSAPrivateKey,
    version: str | None = None,
) -> tuple[m.ExportedKeyData, bytes]:
    exported = crypto.export_key(
        m.ExportKeyDetails(
            key_id=key.id,
            key_version_id=version,
            algorithm=algorithm,
            public_key=_public_pem(wrapping_key),
        )
    ).data
    return exported, _unwrap(wrapping_key, algorithm, b64d(exported.encrypted_key))


def _open_locally(material: bytes, ciphertext: bytes, associated: bytes = b"") -> bytes:
    """Decrypt a Strongroom AES ciphertext without the server.

    The envelope (src/strongroom/crypto/ciphertext.py) is ``"SRC1" | u16 id length | key version
    id | 96-bit nonce | AES-GCM ciphertext and tag``, with the header bound as associated data.
    """
    assert ciphertext[:4] == b"SRC1"
    (length,) = struct.unpack(">H", ciphertext[4:6])
    header, payload = ciphertext[: 6 + length], ciphertext[6 + length :]
    return AESGCM(material).decrypt(payload[:12], payload[12:], header + associated)


@pytest.mark.parametrize("algorithm", ["RSA_OAEP_SHA256", "RSA_OAEP_AES_SHA256"])
@pytest.mark.parametrize("length", [16, 32])
def test_export_aes_key(
    kms: KmsManagementClient,
    crypto: KmsCryptoClient,
    tenancy: str,
    wrapping_key: rsa.RSAPrivateKey,
    algorithm: str,
    length: int,
) -> None:
    key = support.new_key(kms, tenancy, "AES", length)
    first, material = _export(crypto, key, algorithm, wrapping_key)
    assert first.key_id == key.id
    assert first.key_version_id == key.current_key_version
    assert first.vault_id == key.vault_id
    assert first.algorithm == algorithm
    assert len(material) == length

    # Wrapping is randomized, the material is not.
    second, again = _export(crypto, key, algorithm, wrapping_key)
    assert second.encrypted_key != first.encrypted_key
    assert again == material

    # The exported key really is the key: it opens what the server encrypted with it.
    sealed = crypto.encrypt(m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"proof"))).data
    assert _open_locally(material, b64d(sealed.ciphertext)) == b"proof"

    # A new version has new material; the old version still exports the old material.
    rotated = kms.create_key_version(key.id).data
    _, new_material = _export(crypto, key, algorithm, wrapping_key)
    assert len(new_material) == length
    assert new_material != material
    named, old_material = _export(crypto, key, algorithm, wrapping_key, key.current_key_version)
    assert named.key_version_id == key.current_key_version
    assert old_material == material
    newer, _ = _export(crypto, key, algorithm, wrapping_key)
    assert newer.key_version_id == rotated.id


def test_export_rsa_key_material(
    shared_kms: KmsManagementClient,
    shared_crypto: KmsCryptoClient,
    shared_keys: dict[str, m.Key],
    wrapping_key: rsa.RSAPrivateKey,
) -> None:
    key = shared_keys["rsa2048"]
    _, material = _export(shared_crypto, key, "RSA_OAEP_AES_SHA256", wrapping_key)
    private = serialization.load_der_private_key(material, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    published = shared_kms.get_key_version(key.id, key.current_key_version).data.public_key
    mine = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert mine.decode().strip() == published.strip()

    # An RSA private key does not fit in one RSA-OAEP block: refused with a pointer to the other.
    details = m.ExportKeyDetails(
        key_id=key.id, algorithm="RSA_OAEP_SHA256", public_key=_public_pem(wrapping_key)
    )
    error = service_error(shared_crypto.export_key, details, status=400, code="InvalidParameter")
    assert "RSA_OAEP_AES_SHA256" in error.message


def test_export_refuses_bad_wrapping_keys(
    shared_crypto: KmsCryptoClient, shared_keys: dict[str, m.Key]
) -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    for public_key in ("not a pem", _public_pem(small)):
        details = m.ExportKeyDetails(
            key_id=shared_keys["aes"].id, algorithm="RSA_OAEP_AES_SHA256", public_key=public_key
        )
        service_error(shared_crypto.export_key, details, status=400, code="InvalidParameter")
