"""RSA-OAEP encryption (RSA_OAEP_SHA_1, RSA_OAEP_SHA_256) and key material helpers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from strongroom.crypto import asymmetric, keymaterial
from strongroom.domain.errors import DecryptionFailed, InvalidParameter
from strongroom.domain.key import make_shape

# key bytes - 2 * hash bytes - 2, for RSA-2048
LIMITS = {"RSA_OAEP_SHA_1": 256 - 2 * 20 - 2, "RSA_OAEP_SHA_256": 256 - 2 * 32 - 2}

pytestmark = pytest.mark.usefixtures("fast_key_loading")


def _public(material: bytes) -> rsa.RSAPublicKey:
    public = serialization.load_pem_public_key(keymaterial.public_pem(material).encode())
    assert isinstance(public, rsa.RSAPublicKey)
    return public


@pytest.mark.parametrize("algorithm", sorted(asymmetric.OAEP_HASHES))
def test_round_trip(algorithm: str, rsa_material: bytes) -> None:
    blob = asymmetric.encrypt(rsa_material, algorithm, b"data key")
    assert len(blob) == 256
    assert asymmetric.decrypt(rsa_material, algorithm, blob) == b"data key"


@pytest.mark.parametrize("algorithm", sorted(asymmetric.OAEP_HASHES))
def test_plaintext_up_to_the_limit(algorithm: str, rsa_material: bytes) -> None:
    limit = LIMITS[algorithm]
    at_limit = bytes(range(256))[:limit]
    assert (
        asymmetric.decrypt(
            rsa_material, algorithm, asymmetric.encrypt(rsa_material, algorithm, at_limit)
        )
        == at_limit
    )
    with pytest.raises(InvalidParameter, match=f"at most {limit} bytes"):
        asymmetric.encrypt(rsa_material, algorithm, b"x" * (limit + 1))


@pytest.mark.parametrize("algorithm", sorted(asymmetric.OAEP_HASHES))
def test_interoperates_with_a_plain_oaep_encryptor(algorithm: str, rsa_material: bytes) -> None:
    hash_type = asymmetric.OAEP_HASHES[algorithm]
    oaep = padding.OAEP(mgf=padding.MGF1(hash_type()), algorithm=hash_type(), label=None)
    blob = _public(rsa_material).encrypt(b"from a client", oaep)
    assert asymmetric.decrypt(rsa_material, algorithm, blob) == b"from a client"


def test_wrong_algorithm_on_decrypt_fails(rsa_material: bytes) -> None:
    blob = asymmetric.encrypt(rsa_material, "RSA_OAEP_SHA_256", b"m")
    with pytest.raises(DecryptionFailed):
        asymmetric.decrypt(rsa_material, "RSA_OAEP_SHA_1", blob)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda b: b[:-1],
        lambda b: b + b"\x00",
        lambda b: b"",
        lambda b: bytes([b[0] ^ 1]) + b[1:],
        lambda b: b[:-1] + bytes([b[-1] ^ 0x80]),
        lambda b: b"\x00" * len(b),
    ],
)
def test_tampered_ciphertext_fails(mangle: Callable[[bytes], bytes], rsa_material: bytes) -> None:
    blob = asymmetric.encrypt(rsa_material, "RSA_OAEP_SHA_256", b"m")
    with pytest.raises(DecryptionFailed):
        asymmetric.decrypt(rsa_material, "RSA_OAEP_SHA_256", mangle(blob))


@pytest.mark.parametrize("algorithm", ["AES_256_GCM", "RSA_OAEP_SHA_512", "", "rsa_oaep_sha_256"])
def test_unknown_algorithms_are_refused(algorithm: str, rsa_material: bytes) -> None:
    with pytest.raises(InvalidParameter, match="RSA_OAEP_SHA_1 or RSA_OAEP_SHA_256"):
        asymmetric.encrypt(rsa_material, algorithm, b"m")
    with pytest.raises(InvalidParameter, match="RSA_OAEP_SHA_1 or RSA_OAEP_SHA_256"):
        asymmetric.decrypt(rsa_material, algorithm, b"m")


def test_ecdsa_material_cannot_encrypt(ec_materials: dict[str, bytes]) -> None:
    with pytest.raises(InvalidParameter, match="not an RSA key"):
        asymmetric.encrypt(ec_materials["NIST_P256"], "RSA_OAEP_SHA_256", b"m")
    with pytest.raises(InvalidParameter, match="not an RSA key"):
        asymmetric.decrypt(ec_materials["NIST_P256"], "RSA_OAEP_SHA_256", b"m" * 256)


@pytest.mark.parametrize("length", [16, 24, 32])
def test_generate_aes_material(length: int) -> None:
    first = keymaterial.generate(make_shape("AES", length, None))
    assert len(first) == length
    assert first != keymaterial.generate(make_shape("AES", length, None))


def test_generated_rsa_material_is_pkcs8_der(rsa_material: bytes) -> None:
    private = serialization.load_der_private_key(rsa_material, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size == 2048
    assert private.public_key().public_numbers().e == 65537
    assert isinstance(keymaterial.load_private(rsa_material), rsa.RSAPrivateKey)


@pytest.mark.parametrize(
    ("curve", "expected"),
    [("NIST_P256", ec.SECP256R1), ("NIST_P384", ec.SECP384R1), ("NIST_P521", ec.SECP521R1)],
)
def test_generated_ec_material_is_on_the_right_curve(
    curve: str, expected: type[ec.EllipticCurve], ec_materials: dict[str, bytes]
) -> None:
    private = keymaterial.load_private(ec_materials[curve])
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    assert isinstance(private.curve, expected)


def test_public_pem_is_spki_of_the_private_key(rsa_material: bytes) -> None:
    pem = keymaterial.public_pem(rsa_material)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    private = keymaterial.load_private(rsa_material)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert _public(rsa_material).public_numbers() == private.public_key().public_numbers()
    signature = private.sign(b"x", padding.PKCS1v15(), hashes.SHA256())
    _public(rsa_material).verify(signature, b"x", padding.PKCS1v15(), hashes.SHA256())
