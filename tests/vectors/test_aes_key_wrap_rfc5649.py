"""AES key wrap with padding (RFC 5649), the second stage of ExportKey's RSA_OAEP_AES_SHA256.

Source: R. Housley, M. Dworkin, RFC 5649, Section 6 "Padded Key Wrap Examples" (192-bit KEK,
20-octet and 7-octet keys). Strongroom wraps with a random ephemeral AES key, so the vectors pin
the primitive the export format is defined on; the tail of a real export is then unwrapped
with the same primitive.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap_with_padding,
    aes_key_wrap_with_padding,
)

from strongroom.crypto import request_signing, wrapping

KEK = "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8"
VECTORS = [
    (
        "c37b7e6492584340bed12207808941155068f738",
        "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a",
    ),
    ("466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"),
]


@pytest.mark.parametrize(("key", "wrapped"), VECTORS)
def test_rfc5649_wrap_and_unwrap(key: str, wrapped: str) -> None:
    kek = bytes.fromhex(KEK)
    assert aes_key_wrap_with_padding(kek, bytes.fromhex(key)).hex() == wrapped
    assert aes_key_unwrap_with_padding(kek, bytes.fromhex(wrapped)).hex() == key


@pytest.mark.parametrize(("key", "wrapped"), VECTORS)
def test_rfc5649_tampered_wrap_is_refused(key: str, wrapped: str) -> None:
    blob = bytearray(bytes.fromhex(wrapped))
    blob[0] ^= 0x01
    with pytest.raises(InvalidUnwrap):
        aes_key_unwrap_with_padding(bytes.fromhex(KEK), bytes(blob))


def test_export_format_is_oaep_then_rfc5649() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    material = bytes.fromhex(VECTORS[0][0])
    blob = wrapping.wrap(
        material, "RSA_OAEP_AES_SHA256", request_signing.public_pem(private.public_key())
    )
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    ephemeral = private.decrypt(blob[:256], oaep)
    tail = blob[256:]
    # RFC 5649: ciphertext is 8 bytes longer than the plaintext padded to a multiple of 8.
    assert len(tail) == 8 + ((len(material) + 7) // 8) * 8
    assert aes_key_unwrap_with_padding(ephemeral, tail) == material
