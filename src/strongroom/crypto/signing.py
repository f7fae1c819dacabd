"""Signing and verification with OCI's algorithm names, over RAW messages or DIGESTs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from strongroom.crypto.keymaterial import load_private
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.key import Algorithm, Curve

__all__ = ["ECDSA_PAIRS", "SCHEMES", "MessageType", "Scheme", "scheme_for", "sign", "verify"]


class MessageType(StrEnum):
    """Whether the message is the data itself or its digest."""

    RAW = "RAW"
    DIGEST = "DIGEST"


@dataclass(frozen=True)
class Scheme:
    """How an OCI signing algorithm name maps onto a key type, hash and padding."""

    key_algorithm: Algorithm
    hash: type[hashes.HashAlgorithm]
    padding: str  # "PSS", "PKCS1" or "ECDSA"


SCHEMES: dict[str, Scheme] = {
    **{
        f"SHA_{bits}_RSA_PKCS_PSS": Scheme(Algorithm.RSA, h, "PSS")
        for bits, h in (
            (224, hashes.SHA224),
            (256, hashes.SHA256),
            (384, hashes.SHA384),
            (512, hashes.SHA512),
        )
    },
    **{
        f"SHA_{bits}_RSA_PKCS1_V1_5": Scheme(Algorithm.RSA, h, "PKCS1")
        for bits, h in (
            (224, hashes.SHA224),
            (256, hashes.SHA256),
            (384, hashes.SHA384),
            (512, hashes.SHA512),
        )
    },
    "ECDSA_SHA_256": Scheme(Algorithm.ECDSA, hashes.SHA256, "ECDSA"),
    "ECDSA_SHA_384": Scheme(Algorithm.ECDSA, hashes.SHA384, "ECDSA"),
    "ECDSA_SHA_512": Scheme(Algorithm.ECDSA, hashes.SHA512, "ECDSA"),
}

# As in OCI, each curve signs with the hash of matching strength.
ECDSA_PAIRS = {
    Curve.NIST_P256: "ECDSA_SHA_256",
    Curve.NIST_P384: "ECDSA_SHA_384",
    Curve.NIST_P521: "ECDSA_SHA_512",
}


def scheme_for(name: str, key_algorithm: Algorithm, curve: Curve | None = None) -> Scheme:
    """Look up a signing algorithm and check it fits the key; raise InvalidParameter."""
    scheme = SCHEMES.get(name)
    if scheme is None:
        raise InvalidParameter(f"signingAlgorithm must be one of {', '.join(SCHEMES)}")
    if scheme.key_algorithm is not key_algorithm:
        raise InvalidParameter(
            f"signingAlgorithm {name} cannot be used with a {key_algorithm.value} key"
        )
    if curve is not None and ECDSA_PAIRS[curve] != name:
        raise InvalidParameter(f"A {curve.value} key signs with {ECDSA_PAIRS[curve]}, not {name}")
    return scheme


def _prepare(
    scheme: Scheme, message: bytes, message_type: MessageType
) -> tuple[bytes, hashes.HashAlgorithm | utils.Prehashed]:
    algorithm = scheme.hash()
    if message_type is MessageType.RAW:
        return message, algorithm
    if len(message) != algorithm.digest_size:
        raise InvalidParameter(
            f"A DIGEST message for this algorithm must be {algorithm.digest_size} bytes"
        )
    return message, utils.Prehashed(algorithm)


def _rsa_padding(scheme: Scheme) -> padding.AsymmetricPadding:
    if scheme.padding == "PSS":
        return padding.PSS(mgf=padding.MGF1(scheme.hash()), salt_length=scheme.hash().digest_size)
    return padding.PKCS1v15()


def sign(material: bytes, scheme: Scheme, message: bytes, message_type: MessageType) -> bytes:
    """Sign with private key material; ECDSA signatures are DER-encoded."""
    data, algorithm = _prepare(scheme, message, message_type)
    private = load_private(material)
    if isinstance(private, rsa.RSAPrivateKey):
        return private.sign(data, _rsa_padding(scheme), algorithm)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return private.sign(data, ec.ECDSA(algorithm))
    raise InvalidParameter("This key cannot sign")


def verify(
    material: bytes, scheme: Scheme, message: bytes, message_type: MessageType, signature: bytes
) -> bool:
    """Whether ``signature`` is valid for ``message`` under the key's public half."""
    data, algorithm = _prepare(scheme, message, message_type)
    public = load_private(material).public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, data, _rsa_padding(scheme), algorithm)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, data, ec.ECDSA(algorithm))
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True
