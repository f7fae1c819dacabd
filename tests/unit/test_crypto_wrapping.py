"""ExportKey wrapping, proved by unwrapping locally with nothing but pyca/cryptography."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding
from oci.key_management.models import ExportKeyDetails

from strongroom.crypto import keymaterial, wrapping
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.key import make_shape

OAEP_SHA256 = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def _pem(public: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def test_algorithms_are_the_sdks() -> None:
    sdk = {v for k, v in vars(ExportKeyDetails).items() if k.startswith("ALGORITHM_")}
    assert set(wrapping.ALGORITHMS) == sdk


@pytest.mark.parametrize("length", [16, 24, 32])
def test_rsa_oaep_sha256_unwraps_with_plain_oaep(
    length: int, wrapping_private: rsa.RSAPrivateKey, wrapping_public_pem: str
) -> None:
    material = keymaterial.generate(make_shape("AES", length, None))
    wrapped = wrapping.wrap(material, "RSA_OAEP_SHA256", wrapping_public_pem)
    assert len(wrapped) == 256
    assert wrapping_private.decrypt(wrapped, OAEP_SHA256) == material


@pytest.mark.parametrize("length", [16, 32])
def test_rsa_oaep_aes_sha256_is_ckm_rsa_aes_key_wrap(
    length: int, wrapping_private: rsa.RSAPrivateKey, wrapping_public_pem: str
) -> None:
    """RSA-OAEP(SHA-256) of a 256-bit ephemeral key, then RFC 5649 AES key wrap with padding."""
    material = keymaterial.generate(make_shape("AES", length, None))
    wrapped = wrapping.wrap(material, "RSA_OAEP_AES_SHA256", wrapping_public_pem)
    head, tail = wrapped[:256], wrapped[256:]
    ephemeral = wrapping_private.decrypt(head, OAEP_SHA256)
    assert len(ephemeral) == 32
    assert aes_key_unwrap_with_padding(ephemeral, tail) == material


def test_rsa_oaep_aes_sha256_carries_private_keys(
    rsa_material: bytes, wrapping_private: rsa.RSAPrivateKey, wrapping_public_pem: str
) -> None:
    wrapped = wrapping.wrap(rsa_material, "RSA_OAEP_AES_SHA256", wrapping_public_pem)
    ephemeral = wrapping_private.decrypt(wrapped[:256], OAEP_SHA256)
    unwrapped = aes_key_unwrap_with_padding(ephemeral, wrapped[256:])
    assert unwrapped == rsa_material
    assert isinstance(serialization.load_der_private_key(unwrapped, None), rsa.RSAPrivateKey)


def test_ephemeral_keys_are_fresh(wrapping_public_pem: str) -> None:
    material = bytes(32)
    first = wrapping.wrap(material, "RSA_OAEP_AES_SHA256", wrapping_public_pem)
    second = wrapping.wrap(material, "RSA_OAEP_AES_SHA256", wrapping_public_pem)
    assert first[256:] != second[256:]


def test_rsa_oaep_sha256_refuses_material_that_does_not_fit(
    rsa_material: bytes, wrapping_public_pem: str
) -> None:
    with pytest.raises(InvalidParameter, match="use RSA_OAEP_AES_SHA256"):
        wrapping.wrap(rsa_material, "RSA_OAEP_SHA256", wrapping_public_pem)
    limit = 256 - 2 * 32 - 2
    assert len(wrapping.wrap(b"k" * limit, "RSA_OAEP_SHA256", wrapping_public_pem)) == 256
    with pytest.raises(InvalidParameter):
        wrapping.wrap(b"k" * (limit + 1), "RSA_OAEP_SHA256", wrapping_public_pem)


@pytest.mark.parametrize("algorithm", ["", "RSA_OAEP_SHA_256", "AES_KEY_WRAP", "rsa_oaep_sha256"])
def test_unknown_algorithms_are_refused(algorithm: str, wrapping_public_pem: str) -> None:
    with pytest.raises(InvalidParameter, match="algorithm must be one of"):
        wrapping.wrap(bytes(32), algorithm, wrapping_public_pem)


def _unknown_algorithm_spki_pem() -> str:
    # SubjectPublicKeyInfo with AlgorithmIdentifier OID 1.2.3.4: parses as DER, unknown key type.
    alg = bytes.fromhex("300706032a03040500")
    bits = bytes.fromhex("03050001020304")
    der = bytes([0x30, len(alg + bits)]) + alg + bits
    body = base64.b64encode(der).decode()
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"


@pytest.mark.parametrize(
    "pem",
    [
        "",
        "not a key",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\n\ud800\n-----END PUBLIC KEY-----\n",
        _unknown_algorithm_spki_pem(),
    ],
)
def test_garbage_wrapping_keys_are_invalid_parameters(pem: str) -> None:
    with pytest.raises(InvalidParameter, match="publicKey must be an RSA public key"):
        wrapping.wrap(bytes(32), "RSA_OAEP_SHA256", pem)


def test_non_rsa_and_short_rsa_wrapping_keys_are_refused() -> None:
    ec_pem = _pem(ec.generate_private_key(ec.SECP256R1()).public_key())
    short_pem = _pem(rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key())
    for pem in (ec_pem, short_pem):
        with pytest.raises(InvalidParameter, match="at least 2048 bits"):
            wrapping.load_wrapping_key(pem)
