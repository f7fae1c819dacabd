"""ECDSA P-256 verification against RFC 6979, Appendix A.2.5 ("ECDSA, 256 Bits (Prime Field)").

Source: T. Pornin, RFC 6979, "Deterministic Usage of the DSA and ECDSA", A.2.5: private key x,
public key (Ux, Uy), and signatures (r, s) over the messages "sample" and "test" with SHA-256,
SHA-384 and SHA-512. Strongroom signs with random k, so the vectors are used to check
verification only, through strongroom.crypto.signing.verify (RAW and DIGEST).
"""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from strongroom.crypto import keymaterial
from strongroom.crypto.signing import SCHEMES, MessageType, sign, verify

X = "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"
UX = "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
UY = "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299"

# (scheme, message, r, s)
VECTORS = [
    (
        "ECDSA_SHA_256",
        b"sample",
        "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
        "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8",
    ),
    (
        "ECDSA_SHA_384",
        b"sample",
        "0EAFEA039B20E9B42309FB1D89E213057CBF973DC0CFC8F129EDDDC800EF7719",
        "4861F0491E6998B9455193E34E7B0D284DDD7149A74B95B9261F13ABDE940954",
    ),
    (
        "ECDSA_SHA_512",
        b"sample",
        "8496A60B5E9B47C825488827E0495B0E3FA109EC4568FD3F8D1097678EB97F00",
        "2362AB1ADBE2B8ADF9CB9EDAB740EA6049C028114F2460F96554F61FAE3302FE",
    ),
    (
        "ECDSA_SHA_256",
        b"test",
        "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367",
        "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083",
    ),
    (
        "ECDSA_SHA_384",
        b"test",
        "83910E8B48BB0C74244EBDF7F07A1C5413D61472BD941EF3920E623FBCCEBEB6",
        "8DDBEC54CF8CD5874883841D712142A56A8D0F218F5003CB0296B6B509619F2C",
    ),
    (
        "ECDSA_SHA_512",
        b"test",
        "461D93F31B6540894788FD206C07CFA0CC35F46FA3C91816FFF1040AD1581A04",
        "39AF9F15DE0DB8D97E72719C74820D304CE5226E32DEDAE67519E840D1194E55",
    ),
]
IDS = [f"{scheme}-{msg.decode()}" for scheme, msg, _, _ in VECTORS]


@pytest.fixture(scope="module")
def material() -> bytes:
    """The RFC's private key as PKCS#8 DER, the form Strongroom keeps ECDSA material in."""
    private = ec.derive_private_key(int(X, 16), ec.SECP256R1())
    return private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _der(r: str, s: str) -> bytes:
    return encode_dss_signature(int(r, 16), int(s, 16))


def test_the_key_matches_the_rfcs_public_key(material: bytes) -> None:
    public = serialization.load_pem_public_key(keymaterial.public_pem(material).encode())
    assert isinstance(public, ec.EllipticCurvePublicKey)
    numbers = public.public_numbers()
    assert (numbers.x, numbers.y) == (int(UX, 16), int(UY, 16))


@pytest.mark.parametrize(("scheme", "message", "r", "s"), VECTORS, ids=IDS)
def test_rfc6979_signature_verifies_raw(
    scheme: str, message: bytes, r: str, s: str, material: bytes
) -> None:
    assert verify(material, SCHEMES[scheme], message, MessageType.RAW, _der(r, s))


@pytest.mark.parametrize(("scheme", "message", "r", "s"), VECTORS, ids=IDS)
def test_rfc6979_signature_verifies_as_digest(
    scheme: str, message: bytes, r: str, s: str, material: bytes
) -> None:
    digest = hashlib.new(SCHEMES[scheme].hash().name, message).digest()
    assert verify(material, SCHEMES[scheme], digest, MessageType.DIGEST, _der(r, s))


@pytest.mark.parametrize(("scheme", "message", "r", "s"), VECTORS, ids=IDS)
def test_rfc6979_signature_fails_when_anything_changes(
    scheme: str, message: bytes, r: str, s: str, material: bytes
) -> None:
    other = b"test" if message == b"sample" else b"sample"
    assert not verify(material, SCHEMES[scheme], other, MessageType.RAW, _der(r, s))
    assert not verify(material, SCHEMES[scheme], message, MessageType.RAW, _der(s, r))
    bumped = format(int(s, 16) + 1, "064X")
    assert not verify(material, SCHEMES[scheme], message, MessageType.RAW, _der(r, bumped))
    raw = bytes.fromhex(r + s)  # IEEE P1363 r||s is not what the OCI API carries
    assert not verify(material, SCHEMES[scheme], message, MessageType.RAW, raw)


def test_rfc6979_signature_fails_under_another_hash(material: bytes) -> None:
    _, message, r, s = VECTORS[0]
    assert not verify(material, SCHEMES["ECDSA_SHA_384"], message, MessageType.RAW, _der(r, s))


def test_our_signature_with_the_rfc_key_verifies(material: bytes) -> None:
    signature = sign(material, SCHEMES["ECDSA_SHA_256"], b"sample", MessageType.RAW)
    assert verify(material, SCHEMES["ECDSA_SHA_256"], b"sample", MessageType.RAW, signature)
