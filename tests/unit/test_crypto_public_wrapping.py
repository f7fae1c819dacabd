"""Wrapping a data key under a caller's DER public key (GenerateAndExportDataKey), proved by
unwrapping locally with nothing but pyca/cryptography."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from strongroom.crypto import public_wrapping
from strongroom.domain.errors import InvalidParameter


def _der(public: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize(
    ("algorithm", "hash_type"),
    [("RSA_OAEP_SHA_256", hashes.SHA256), ("RSA_OAEP_SHA_1", hashes.SHA1)],
)
def test_wrapped_secret_opens_with_plain_oaep(
    algorithm: str, hash_type: type[hashes.HashAlgorithm], wrapping_private: rsa.RSAPrivateKey
) -> None:
    public = public_wrapping.load_rsa_public_der(_der(wrapping_private.public_key()), 2048)
    wrapped = public_wrapping.oaep_wrap(public, algorithm, b"k" * 32)
    oaep = padding.OAEP(mgf=padding.MGF1(hash_type()), algorithm=hash_type(), label=None)
    assert wrapping_private.decrypt(wrapped, oaep) == b"k" * 32


def test_limits_are_the_oaep_limits(wrapping_private: rsa.RSAPrivateKey) -> None:
    public = public_wrapping.load_rsa_public_der(_der(wrapping_private.public_key()))
    assert public_wrapping.oaep_limit(public, "RSA_OAEP_SHA_256") == 190
    assert public_wrapping.oaep_limit(public, "RSA_OAEP_SHA_1") == 214
    public_wrapping.oaep_wrap(public, "RSA_OAEP_SHA_256", b"x" * 190)
    with pytest.raises(InvalidParameter, match="at most 190"):
        public_wrapping.oaep_wrap(public, "RSA_OAEP_SHA_256", b"x" * 191)


def test_bad_key() -> None:
    with pytest.raises(InvalidParameter, match="DER SubjectPublicKeyInfo"):
        public_wrapping.load_rsa_public_der(b"not a key")
    with pytest.raises(InvalidParameter, match="RSA key"):
        public_wrapping.load_rsa_public_der(
            _der(ec.generate_private_key(ec.SECP256R1()).public_key())
        )
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(InvalidParameter, match="1024 bits; at least 2048"):
        public_wrapping.load_rsa_public_der(_der(small.public_key()))


def test_key_of_another_size_than_named(wrapping_private: rsa.RSAPrivateKey) -> None:
    with pytest.raises(InvalidParameter, match="2048 bits, not the 4096"):
        public_wrapping.load_rsa_public_der(_der(wrapping_private.public_key()), 4096)


def test_bad_algorithm(wrapping_private: rsa.RSAPrivateKey) -> None:
    public = public_wrapping.load_rsa_public_der(_der(wrapping_private.public_key()))
    with pytest.raises(InvalidParameter, match="wrapping algorithm"):
        public_wrapping.oaep_wrap(public, "RSA_PKCS1_V1_5", b"x")
