"""Generating key material for a shape and deriving its public half."""

from __future__ import annotations

import functools
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from strongroom.domain.key import Algorithm, Curve, KeyShape

__all__ = ["CURVES", "generate", "load_private", "public_pem"]

CURVES: dict[Curve, ec.EllipticCurve] = {
    Curve.NIST_P256: ec.SECP256R1(),
    Curve.NIST_P384: ec.SECP384R1(),
    Curve.NIST_P521: ec.SECP521R1(),
}


def generate(shape: KeyShape) -> bytes:
    """New material: raw bytes for AES, PKCS#8 DER for RSA and ECDSA private keys."""
    if shape.algorithm is Algorithm.AES:
        return os.urandom(shape.length)
    private: PrivateKeyTypes
    if shape.algorithm is Algorithm.RSA:
        private = rsa.generate_private_key(public_exponent=65537, key_size=shape.length * 8)
    else:
        assert shape.curve_id is not None
        private = ec.generate_private_key(CURVES[shape.curve_id])
    return private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private(material: bytes) -> PrivateKeyTypes:
    """Load PKCS#8 DER private key material that this process generated.

    The material only ever comes out of the barrier, whose AEAD proves it is the bytes we sealed
    at generation, so pyca's RSA consistency check (tens of milliseconds per load) is skipped.
    """
    return _load_cached(material)


@functools.lru_cache(maxsize=4096)
def _load_cached(material: bytes) -> PrivateKeyTypes:
    return serialization.load_der_private_key(
        material, password=None, unsafe_skip_rsa_key_validation=True
    )


def public_pem(material: bytes) -> str:
    """The SubjectPublicKeyInfo PEM of asymmetric material."""
    public = load_private(material).public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
