"""RSA-OAEP encryption for RSA keys (OCI's RSA_OAEP_SHA_1 and RSA_OAEP_SHA_256)."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from strongroom.crypto.keymaterial import load_private
from strongroom.domain.errors import DecryptionFailed, InvalidParameter

__all__ = ["OAEP_HASHES", "decrypt", "encrypt"]

OAEP_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RSA_OAEP_SHA_1": hashes.SHA1,
    "RSA_OAEP_SHA_256": hashes.SHA256,
}


def _oaep(name: str) -> padding.OAEP:
    hash_type = OAEP_HASHES.get(name)
    if hash_type is None:
        raise InvalidParameter(
            "encryptionAlgorithm for an RSA key must be RSA_OAEP_SHA_1 or RSA_OAEP_SHA_256"
        )
    return padding.OAEP(mgf=padding.MGF1(hash_type()), algorithm=hash_type(), label=None)


def _private(material: bytes) -> rsa.RSAPrivateKey:
    private = load_private(material)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise InvalidParameter("The key is not an RSA key")
    return private


def encrypt(material: bytes, algorithm: str, plaintext: bytes) -> bytes:
    """Encrypt with the public half of RSA material; too-long plaintext is refused clearly."""
    oaep = _oaep(algorithm)
    private = _private(material)
    digest = OAEP_HASHES[algorithm]().digest_size
    limit = private.key_size // 8 - 2 * digest - 2
    if len(plaintext) > limit:
        raise InvalidParameter(
            f"plaintext is too long for this RSA key and algorithm (at most {limit} bytes)"
        )
    return private.public_key().encrypt(plaintext, oaep)


def decrypt(material: bytes, algorithm: str, ciphertext: bytes) -> bytes:
    """Decrypt with RSA material; any failure is an opaque DecryptionFailed."""
    oaep = _oaep(algorithm)
    try:
        return _private(material).decrypt(ciphertext, oaep)
    except ValueError:
        raise DecryptionFailed() from None
