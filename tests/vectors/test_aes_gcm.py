"""AES-GCM test vectors run through strongroom.crypto.aead.open_sealed.

Source: D. McGrew and J. Viega, "The Galois/Counter Mode of Operation (GCM)", revised
submission to NIST, Appendix B "AES Test Vectors" (Test Cases 1-4, 9, 13-16; 96-bit IVs only,
since Strongroom's nonces are 96 bits). The same cases appear in NIST's GCM validation material.

Strongroom's ``seal`` draws a random nonce, so the vectors are fed to ``open_sealed`` in its
layout: IV || C || T.
"""

from __future__ import annotations

import pytest

from strongroom.crypto import aead
from strongroom.domain.errors import DecryptionFailed

_P = (
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
)
_P60 = _P[:120]  # the 60-byte plaintext of the cases with additional data
_A = "feedfacedeadbeeffeedfacedeadbeefabaddad2"
_IV = "cafebabefacedbaddecaf888"
_K128 = "feffe9928665731c6d6a8f9467308308"
_K192 = "feffe9928665731c6d6a8f9467308308feffe9928665731c"
_K256 = _K128 * 2

# (name, K, P, IV, A, C, T)
VECTORS = [
    ("TC1", "00" * 16, "", "00" * 12, "", "", "58e2fccefa7e3061367f1d57a4e7455a"),
    (
        "TC2",
        "00" * 16,
        "00" * 16,
        "00" * 12,
        "",
        "0388dace60b6a392f328c2b971b2fe78",
        "ab6e47d42cec13bdf53a67b21257bddf",
    ),
    (
        "TC3",
        _K128,
        _P,
        _IV,
        "",
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
        "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
        "4d5c2af327cd64a62cf35abd2ba6fab4",
    ),
    (
        "TC4",
        _K128,
        _P60,
        _IV,
        _A,
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
        "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
        "5bc94fbc3221a5db94fae95ae7121a47",
    ),
    (
        "TC9",
        _K192,
        _P,
        _IV,
        "",
        "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c"
        "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710acade256",
        "9924a7c8587336bfb118024db8674a14",
    ),
    ("TC13", "00" * 32, "", "00" * 12, "", "", "530f8afbc74536b9a963b4f1c4cb738b"),
    (
        "TC14",
        "00" * 32,
        "00" * 16,
        "00" * 12,
        "",
        "cea7403d4d606b6e074ec5d3baf39d18",
        "d0d1c8a799996bf0265b98b5d48ab919",
    ),
    (
        "TC15",
        _K256,
        _P,
        _IV,
        "",
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
        "b094dac5d93471bdec1a502270e3cc6c",
    ),
    (
        "TC16",
        _K256,
        _P60,
        _IV,
        _A,
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        "76fc6ece0f4e1768cddf8853bb2d551b",
    ),
]

IDS = [v[0] for v in VECTORS]


def _blob(iv: str, c: str, t: str) -> bytes:
    return bytes.fromhex(iv + c + t)


@pytest.mark.parametrize(("name", "k", "p", "iv", "a", "c", "t"), VECTORS, ids=IDS)
def test_open_sealed_decrypts_the_vector(
    name: str, k: str, p: str, iv: str, a: str, c: str, t: str
) -> None:
    aad = bytes.fromhex(a) or None
    assert aead.open_sealed(bytes.fromhex(k), _blob(iv, c, t), aad) == bytes.fromhex(p)


@pytest.mark.parametrize(("name", "k", "p", "iv", "a", "c", "t"), VECTORS, ids=IDS)
def test_a_wrong_tag_is_refused(name: str, k: str, p: str, iv: str, a: str, c: str, t: str) -> None:
    tag = bytearray(bytes.fromhex(t))
    tag[-1] ^= 0x01
    with pytest.raises(DecryptionFailed):
        aead.open_sealed(bytes.fromhex(k), bytes.fromhex(iv + c) + bytes(tag), bytes.fromhex(a))


@pytest.mark.parametrize(
    ("name", "k", "p", "iv", "a", "c", "t"), [v for v in VECTORS if v[4]], ids=["TC4", "TC16"]
)
def test_the_vector_needs_its_additional_data(
    name: str, k: str, p: str, iv: str, a: str, c: str, t: str
) -> None:
    with pytest.raises(DecryptionFailed):
        aead.open_sealed(bytes.fromhex(k), _blob(iv, c, t), None)
    with pytest.raises(DecryptionFailed):
        aead.open_sealed(bytes.fromhex(k), _blob(iv, c, t), bytes.fromhex(a)[:-1])


@pytest.mark.parametrize(("name", "k", "p", "iv", "a", "c", "t"), VECTORS, ids=IDS)
def test_seal_output_has_the_vector_layout(
    name: str, k: str, p: str, iv: str, a: str, c: str, t: str
) -> None:
    """seal() with the vector's key gives nonce || C' || T' that opens back to P."""
    key, plaintext, aad = bytes.fromhex(k), bytes.fromhex(p), bytes.fromhex(a) or None
    blob = aead.seal(key, plaintext, aad)
    assert len(blob) == len(_blob(iv, c, t))
    assert aead.open_sealed(key, blob, aad) == plaintext
