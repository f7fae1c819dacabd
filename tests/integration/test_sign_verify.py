"""Sign and Verify, checked independently with pyca/cryptography and the key's public key."""

from __future__ import annotations

import os

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from oci.key_management import KmsCryptoClient, KmsManagementClient
from oci.key_management import models as m

from tests.helpers import b64d, b64e
from tests.integration.support import service_error

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "224": hashes.SHA224,
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}

RSA_ALGORITHMS = [
    f"SHA_{bits}_RSA_{scheme}" for bits in HASHES for scheme in ("PKCS1_V1_5", "PKCS_PSS")
]
ECDSA_CASES = [("p256", "ECDSA_SHA_256"), ("p384", "ECDSA_SHA_384"), ("p521", "ECDSA_SHA_512")]


def _hash_of(algorithm: str) -> hashes.HashAlgorithm:
    bits = next(part for part in algorithm.split("_") if part in HASHES)
    return HASHES[bits]()


def _public_key(kms: KmsManagementClient, key: m.Key, version_id: str) -> object:
    pem = kms.get_key_version(key.id, version_id).data.public_key
    return serialization.load_pem_public_key(pem.encode())


def _verify_locally(public: object, algorithm: str, signature: bytes, data: bytes) -> None:
    """Raise InvalidSignature unless ``signature`` signs the RAW ``data``."""
    digest = _hash_of(algorithm)
    if isinstance(public, rsa.RSAPublicKey):
        pad: padding.AsymmetricPadding
        if "PSS" in algorithm:
            pad = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        else:
            pad = padding.PKCS1v15()
        public.verify(signature, data, pad, digest)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        public.verify(signature, data, ec.ECDSA(digest))
    else:
        raise AssertionError(f"unexpected public key {public!r}")


def _message(algorithm: str, message_type: str, data: bytes) -> bytes:
    if message_type == "RAW":
        return data
    hasher = hashes.Hash(_hash_of(algorithm))
    hasher.update(data)
    return hasher.finalize()


def _sign_and_check(
    kms: KmsManagementClient,
    crypto: KmsCryptoClient,
    key: m.Key,
    algorithm: str,
    message_type: str,
) -> None:
    data = os.urandom(300)
    message = _message(algorithm, message_type, data)
    signed = crypto.sign(
        m.SignDataDetails(
            key_id=key.id,
            message=b64e(message),
            message_type=message_type,
            signing_algorithm=algorithm,
        )
    ).data
    assert signed.key_id == key.id
    assert signed.key_version_id == key.current_key_version
    assert signed.signing_algorithm == algorithm
    signature = b64d(signed.signature)

    # Independent check with the published public key: the signature covers the data itself,
    # whether the service was given the data (RAW) or its digest (DIGEST).
    public = _public_key(kms, key, signed.key_version_id)
    _verify_locally(public, algorithm, signature, data)
    with pytest.raises(InvalidSignature):
        _verify_locally(public, algorithm, signature, data + b"!")

    def server_verify(msg: bytes, sig: bytes) -> bool:
        result: bool = crypto.verify(
            m.VerifyDataDetails(
                key_id=key.id,
                key_version_id=signed.key_version_id,
                message=b64e(msg),
                message_type=message_type,
                signature=b64e(sig),
                signing_algorithm=algorithm,
            )
        ).data.is_signature_valid
        return result

    assert server_verify(message, signature) is True
    tampered_message = bytes([message[0] ^ 1]) + message[1:]
    assert server_verify(tampered_message, signature) is False
    tampered_signature = signature[:-1] + bytes([signature[-1] ^ 1])
    assert server_verify(message, tampered_signature) is False


@pytest.mark.parametrize("message_type", ["RAW", "DIGEST"])
@pytest.mark.parametrize("algorithm", RSA_ALGORITHMS)
def test_rsa_sign_verify(
    shared_kms: KmsManagementClient,
    shared_crypto: KmsCryptoClient,
    shared_keys: dict[str, m.Key],
    algorithm: str,
    message_type: str,
) -> None:
    _sign_and_check(shared_kms, shared_crypto, shared_keys["rsa2048"], algorithm, message_type)


def test_rsa_3072_sign_verify(
    shared_kms: KmsManagementClient,
    shared_crypto: KmsCryptoClient,
    shared_keys: dict[str, m.Key],
) -> None:
    key = shared_keys["rsa3072"]
    _sign_and_check(shared_kms, shared_crypto, key, "SHA_384_RSA_PKCS_PSS", "RAW")


@pytest.mark.parametrize("message_type", ["RAW", "DIGEST"])
@pytest.mark.parametrize(("key_name", "algorithm"), ECDSA_CASES)
def test_ecdsa_sign_verify(
    shared_kms: KmsManagementClient,
    shared_crypto: KmsCryptoClient,
    shared_keys: dict[str, m.Key],
    key_name: str,
    algorithm: str,
    message_type: str,
) -> None:
    _sign_and_check(shared_kms, shared_crypto, shared_keys[key_name], algorithm, message_type)


def test_signatures_follow_rotation(
    kms: KmsManagementClient, crypto: KmsCryptoClient, ecdsa_key: m.Key
) -> None:
    message = b64e(b"rotate me")
    details = m.SignDataDetails(
        key_id=ecdsa_key.id, message=message, signing_algorithm="ECDSA_SHA_256"
    )
    old = crypto.sign(details).data
    new_version = kms.create_key_version(ecdsa_key.id).data
    new = crypto.sign(details).data
    assert old.key_version_id == ecdsa_key.current_key_version
    assert new.key_version_id == new_version.id

    def verify(version: str, signature: str) -> bool:
        result: bool = crypto.verify(
            m.VerifyDataDetails(
                key_id=ecdsa_key.id,
                key_version_id=version,
                message=message,
                signature=signature,
                signing_algorithm="ECDSA_SHA_256",
            )
        ).data.is_signature_valid
        return result

    assert verify(old.key_version_id, old.signature) is True
    assert verify(new.key_version_id, new.signature) is True
    assert verify(new.key_version_id, old.signature) is False
    assert (
        new_version.public_key
        != kms.get_key_version(ecdsa_key.id, old.key_version_id).data.public_key
    )


def test_sign_refuses_mismatched_algorithms(
    shared_crypto: KmsCryptoClient, shared_keys: dict[str, m.Key]
) -> None:
    cases = [
        ("rsa2048", "ECDSA_SHA_256", "RAW", b"x"),
        ("p256", "SHA_256_RSA_PKCS_PSS", "RAW", b"x"),
        ("aes", "SHA_256_RSA_PKCS_PSS", "RAW", b"x"),
        # A DIGEST must have the hash's length.
        ("rsa2048", "SHA_256_RSA_PKCS_PSS", "DIGEST", b"too short"),
        ("p384", "ECDSA_SHA_384", "DIGEST", bytes(32)),
    ]
    for key_name, algorithm, message_type, message in cases:
        details = m.SignDataDetails(
            key_id=shared_keys[key_name].id,
            message=b64e(message),
            message_type=message_type,
            signing_algorithm=algorithm,
        )
        error = service_error(shared_crypto.sign, details, status=400, code="InvalidParameter")
        assert error.message
