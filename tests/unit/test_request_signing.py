"""API key fingerprints and request-signature verification, checked against outside references."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from strongroom.crypto import request_signing
from strongroom.domain.errors import InvalidParameter


@pytest.fixture(scope="module")
def api_private() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def api_public_pem(api_private: rsa.RSAPrivateKey) -> str:
    return request_signing.public_pem(api_private.public_key())


def test_fingerprint_format(api_private: rsa.RSAPrivateKey) -> None:
    fingerprint = request_signing.fingerprint(api_private.public_key())
    parts = fingerprint.split(":")
    assert len(parts) == 16
    assert all(len(p) == 2 and p == p.lower() for p in parts)
    int("".join(parts), 16)


def test_fingerprint_is_md5_of_der_spki(api_private: rsa.RSAPrivateKey) -> None:
    der = api_private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    expected = hashlib.md5(der, usedforsecurity=False).hexdigest()
    assert request_signing.fingerprint(api_private.public_key()).replace(":", "") == expected


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")
def test_fingerprint_matches_the_documented_openssl_recipe(api_public_pem: str) -> None:
    """OCI documents: ``openssl rsa -pubout -outform DER -in key.pem | openssl md5 -c``."""
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "DER"],
        input=api_public_pem.encode(),
        capture_output=True,
        check=True,
    ).stdout
    md5 = subprocess.run(
        ["openssl", "md5", "-c"], input=der, capture_output=True, check=True
    ).stdout.decode()
    openssl_fingerprint = md5.strip().rsplit(" ", 1)[-1].lower()
    public = request_signing.load_api_public_key(api_public_pem)
    assert request_signing.fingerprint(public) == openssl_fingerprint


def test_fingerprint_matches_the_oci_sdks_own(api_private: rsa.RSAPrivateKey) -> None:
    pkcs11_signer = pytest.importorskip(
        "oci.auth.signers.pkcs11_signer", reason="the SDK's PKCS#11 signer needs python-pkcs11"
    )
    der = api_private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert request_signing.fingerprint(api_private.public_key()) == (
        pkcs11_signer._fingerprint_bytes(der)
    )


def test_verify_signature(api_private: rsa.RSAPrivateKey) -> None:
    message = b"(request-target): get /20180608/vaults\nhost: localhost"
    signature = api_private.sign(message, padding.PKCS1v15(), hashes.SHA256())
    public = api_private.public_key()
    assert request_signing.verify_signature(public, message, signature)
    assert not request_signing.verify_signature(public, message + b" ", signature)
    assert not request_signing.verify_signature(public, message, signature[:-1] + b"\x00")
    assert not request_signing.verify_signature(public, message, b"")
    pss = api_private.sign(message, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    assert not request_signing.verify_signature(public, message, pss)
    sha1 = api_private.sign(message, padding.PKCS1v15(), hashes.SHA1())
    assert not request_signing.verify_signature(public, message, sha1)


def test_load_api_public_key_round_trips(
    api_private: rsa.RSAPrivateKey, api_public_pem: str
) -> None:
    public = request_signing.load_api_public_key(api_public_pem)
    assert public.public_numbers() == api_private.public_key().public_numbers()
    assert request_signing.public_pem(public) == api_public_pem


def test_load_api_public_key_refuses_short_and_non_rsa_keys() -> None:
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    ecdsa = ec.generate_private_key(ec.SECP256R1()).public_key()
    for public in (short, ecdsa):
        pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        with pytest.raises(InvalidParameter, match="at least 2048 bits"):
            request_signing.load_api_public_key(pem)


def _unknown_algorithm_spki_pem() -> str:
    alg = bytes.fromhex("300706032a03040500")
    bits = bytes.fromhex("03050001020304")
    der = bytes([0x30, len(alg + bits)]) + alg + bits
    return (
        "-----BEGIN PUBLIC KEY-----\n"
        + base64.b64encode(der).decode()
        + "\n-----END PUBLIC KEY-----\n"
    )


@pytest.mark.parametrize(
    "pem",
    [
        "",
        "garbage",
        "-----BEGIN PUBLIC KEY-----\n\ud800\n-----END PUBLIC KEY-----\n",
        _unknown_algorithm_spki_pem(),
    ],
)
def test_load_api_public_key_refuses_garbage(pem: str) -> None:
    with pytest.raises(InvalidParameter, match="RSA public key in PEM format"):
        request_signing.load_api_public_key(pem)


def test_new_api_key_pair() -> None:
    private_pem, public_pem = request_signing.new_api_key_pair()
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size == 2048
    public = request_signing.load_api_public_key(public_pem)
    assert public.public_numbers() == private.public_key().public_numbers()
