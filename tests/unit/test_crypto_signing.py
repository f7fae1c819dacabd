"""Sign/verify for every OCI signing algorithm, over RAW messages and DIGESTs."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from oci.key_management.models import SignDataDetails

from strongroom.crypto import keymaterial
from strongroom.crypto.signing import SCHEMES, MessageType, Scheme, scheme_for, sign, verify
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.key import Algorithm, make_shape

RSA_SCHEMES = sorted(name for name, s in SCHEMES.items() if s.key_algorithm is Algorithm.RSA)
EC_SCHEMES = sorted(name for name, s in SCHEMES.items() if s.key_algorithm is Algorithm.ECDSA)
CURVES = ["NIST_P256", "NIST_P384", "NIST_P521"]
MESSAGE = b"The quick brown fox jumps over the lazy dog"

pytestmark = pytest.mark.usefixtures("fast_key_loading")


def _digest(scheme: Scheme, message: bytes) -> bytes:
    return hashlib.new(scheme.hash().name, message).digest()


def test_schemes_are_exactly_the_sdks_signing_algorithms() -> None:
    sdk = {v for k, v in vars(SignDataDetails).items() if k.startswith("SIGNING_ALGORITHM_")}
    assert set(SCHEMES) == sdk
    sdk_types = {v for k, v in vars(SignDataDetails).items() if k.startswith("MESSAGE_TYPE_")}
    assert {m.value for m in MessageType} == sdk_types


def _cases() -> list[tuple[str, str | None]]:
    return [(name, None) for name in RSA_SCHEMES] + [
        (name, curve) for name in EC_SCHEMES for curve in CURVES
    ]


def _material(curve: str | None, rsa_material: bytes, ec_materials: dict[str, bytes]) -> bytes:
    return rsa_material if curve is None else ec_materials[curve]


@pytest.mark.parametrize(("name", "curve"), _cases())
def test_raw_sign_verify(
    name: str, curve: str | None, rsa_material: bytes, ec_materials: dict[str, bytes]
) -> None:
    material = _material(curve, rsa_material, ec_materials)
    scheme = SCHEMES[name]
    signature = sign(material, scheme, MESSAGE, MessageType.RAW)
    assert verify(material, scheme, MESSAGE, MessageType.RAW, signature)
    assert not verify(material, scheme, MESSAGE + b".", MessageType.RAW, signature)
    tampered = bytearray(signature)
    tampered[len(tampered) // 2] ^= 0x01
    assert not verify(material, scheme, MESSAGE, MessageType.RAW, bytes(tampered))
    assert not verify(material, scheme, MESSAGE, MessageType.RAW, b"")
    assert not verify(material, scheme, MESSAGE, MessageType.RAW, b"\x00" * 7)


@pytest.mark.parametrize(("name", "curve"), _cases())
def test_digest_and_raw_signatures_are_interchangeable(
    name: str, curve: str | None, rsa_material: bytes, ec_materials: dict[str, bytes]
) -> None:
    material = _material(curve, rsa_material, ec_materials)
    scheme = SCHEMES[name]
    digest = _digest(scheme, MESSAGE)
    over_digest = sign(material, scheme, digest, MessageType.DIGEST)
    over_raw = sign(material, scheme, MESSAGE, MessageType.RAW)
    assert verify(material, scheme, MESSAGE, MessageType.RAW, over_digest)
    assert verify(material, scheme, digest, MessageType.DIGEST, over_raw)
    assert verify(material, scheme, digest, MessageType.DIGEST, over_digest)


@pytest.mark.parametrize(("name", "curve"), _cases())
def test_wrong_length_digest_is_refused(
    name: str, curve: str | None, rsa_material: bytes, ec_materials: dict[str, bytes]
) -> None:
    material = _material(curve, rsa_material, ec_materials)
    scheme = SCHEMES[name]
    size = scheme.hash().digest_size
    for bad in (b"", b"\x01" * (size - 1), b"\x01" * (size + 1), MESSAGE):
        if len(bad) == size:
            continue
        with pytest.raises(InvalidParameter, match=f"must be {size} bytes"):
            sign(material, scheme, bad, MessageType.DIGEST)
        with pytest.raises(InvalidParameter, match=f"must be {size} bytes"):
            verify(material, scheme, bad, MessageType.DIGEST, b"sig")


@pytest.mark.parametrize("name", RSA_SCHEMES)
def test_rsa_signatures_are_standard(name: str, rsa_material: bytes) -> None:
    """An independent verifier accepts them: PSS salt = digest length, MGF1 with the same hash."""
    scheme = SCHEMES[name]
    public = serialization.load_pem_public_key(keymaterial.public_pem(rsa_material).encode())
    assert isinstance(public, rsa.RSAPublicKey)
    signature = sign(rsa_material, scheme, MESSAGE, MessageType.RAW)
    assert len(signature) == 256
    if scheme.padding == "PSS":
        pad: padding.AsymmetricPadding = padding.PSS(
            mgf=padding.MGF1(scheme.hash()), salt_length=scheme.hash().digest_size
        )
    else:
        pad = padding.PKCS1v15()
    public.verify(signature, MESSAGE, pad, scheme.hash())


def test_pkcs1v15_signatures_are_deterministic(rsa_material: bytes) -> None:
    scheme = SCHEMES["SHA_256_RSA_PKCS1_V1_5"]
    assert sign(rsa_material, scheme, MESSAGE, MessageType.RAW) == sign(
        rsa_material, scheme, MESSAGE, MessageType.RAW
    )


@pytest.mark.parametrize("curve", CURVES)
def test_ecdsa_signatures_are_der_and_standard(curve: str, ec_materials: dict[str, bytes]) -> None:
    material = ec_materials[curve]
    public = serialization.load_pem_public_key(keymaterial.public_pem(material).encode())
    assert isinstance(public, ec.EllipticCurvePublicKey)
    signature = sign(material, SCHEMES["ECDSA_SHA_256"], MESSAGE, MessageType.RAW)
    r, s = utils.decode_dss_signature(signature)
    assert r > 0
    assert s > 0
    public.verify(signature, MESSAGE, ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize(
    ("name", "key_algorithm"),
    [
        ("ECDSA_SHA_256", Algorithm.RSA),
        ("SHA_256_RSA_PKCS_PSS", Algorithm.ECDSA),
        ("SHA_256_RSA_PKCS1_V1_5", Algorithm.ECDSA),
        ("SHA_256_RSA_PKCS_PSS", Algorithm.AES),
        ("ECDSA_SHA_512", Algorithm.AES),
    ],
)
def test_scheme_for_refuses_the_wrong_key_type(name: str, key_algorithm: Algorithm) -> None:
    with pytest.raises(InvalidParameter, match="cannot be used with"):
        scheme_for(name, key_algorithm)


@pytest.mark.parametrize("name", ["", "SHA_1_RSA_PKCS1_V1_5", "ecdsa_sha_256", "RSA", "ED25519"])
def test_scheme_for_refuses_unknown_algorithms(name: str) -> None:
    with pytest.raises(InvalidParameter, match="signingAlgorithm must be one of"):
        scheme_for(name, Algorithm.RSA)


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_scheme_for_accepts_the_matching_key_type(name: str) -> None:
    scheme = SCHEMES[name]
    assert scheme_for(name, scheme.key_algorithm) is scheme


def test_a_signature_from_another_key_does_not_verify(
    rsa_material: bytes, ec_materials: dict[str, bytes]
) -> None:
    other = keymaterial.generate(make_shape("ECDSA", 32, "NIST_P256"))
    scheme = SCHEMES["ECDSA_SHA_256"]
    signature = sign(other, scheme, MESSAGE, MessageType.RAW)
    assert not verify(ec_materials["NIST_P256"], scheme, MESSAGE, MessageType.RAW, signature)
    rsa_sig = sign(rsa_material, SCHEMES["SHA_256_RSA_PKCS1_V1_5"], MESSAGE, MessageType.RAW)
    assert not verify(ec_materials["NIST_P256"], scheme, MESSAGE, MessageType.RAW, rsa_sig)
