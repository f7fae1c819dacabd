"""AES-GCM sealing: random nonces, associated data binding, opaque failures."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from strongroom.crypto import aead
from strongroom.domain.errors import DecryptionFailed

KEY = bytes(range(32))


@pytest.mark.parametrize("size", [16, 24, 32])
def test_round_trip_for_every_aes_key_size(size: int) -> None:
    key = os.urandom(size)
    blob = aead.seal(key, b"attack at dawn", b"aad")
    assert aead.open_sealed(key, blob, b"aad") == b"attack at dawn"


def test_layout_is_nonce_ciphertext_tag() -> None:
    blob = aead.seal(KEY, b"hello", None)
    assert len(blob) == aead.NONCE_BYTES + len(b"hello") + aead.TAG_BYTES
    nonce, rest = blob[: aead.NONCE_BYTES], blob[aead.NONCE_BYTES :]
    assert AESGCM(KEY).decrypt(nonce, rest, None) == b"hello"


def test_accepts_a_prebuilt_cipher() -> None:
    cipher = AESGCM(KEY)
    blob = aead.seal(cipher, b"x", b"a")
    assert aead.open_sealed(KEY, blob, b"a") == b"x"
    assert aead.open_sealed(cipher, aead.seal(KEY, b"y", None), None) == b"y"


def test_nonces_are_fresh() -> None:
    nonces = {aead.seal(KEY, b"same", None)[: aead.NONCE_BYTES] for _ in range(500)}
    assert len(nonces) == 500


def test_empty_and_absent_aad_are_the_same() -> None:
    assert aead.open_sealed(KEY, aead.seal(KEY, b"m", b""), None) == b"m"
    assert aead.open_sealed(KEY, aead.seal(KEY, b"m", None), b"") == b"m"


def test_empty_plaintext() -> None:
    blob = aead.seal(KEY, b"", b"ctx")
    assert len(blob) == aead.NONCE_BYTES + aead.TAG_BYTES
    assert aead.open_sealed(KEY, blob, b"ctx") == b""


def test_wrong_aad_fails() -> None:
    blob = aead.seal(KEY, b"m", b"row-1")
    with pytest.raises(DecryptionFailed):
        aead.open_sealed(KEY, blob, b"row-2")
    with pytest.raises(DecryptionFailed):
        aead.open_sealed(KEY, blob, None)


def test_wrong_key_fails() -> None:
    blob = aead.seal(KEY, b"m", None)
    with pytest.raises(DecryptionFailed):
        aead.open_sealed(bytes(32), blob, None)


@pytest.mark.parametrize("length", [0, 1, aead.NONCE_BYTES, aead.NONCE_BYTES + aead.TAG_BYTES - 1])
def test_too_short_blobs_fail(length: int) -> None:
    with pytest.raises(DecryptionFailed):
        aead.open_sealed(KEY, bytes(length), None)


def test_every_flipped_bit_fails() -> None:
    blob = aead.seal(KEY, b"sixteen byte msg", b"aad")
    for index in range(len(blob)):
        for bit in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[index] ^= bit
            with pytest.raises(DecryptionFailed):
                aead.open_sealed(KEY, bytes(tampered), b"aad")


def test_truncated_and_extended_blobs_fail() -> None:
    blob = aead.seal(KEY, b"message", None)
    for bad in (blob[:-1], blob + b"\x00", blob[1:]):
        with pytest.raises(DecryptionFailed):
            aead.open_sealed(KEY, bad, None)


def test_failure_says_nothing_about_why() -> None:
    blob = aead.seal(KEY, b"m", b"a")
    messages = set()
    for attempt in (
        lambda: aead.open_sealed(KEY, blob, b"b"),
        lambda: aead.open_sealed(bytes(32), blob, b"a"),
        lambda: aead.open_sealed(KEY, b"short", b"a"),
    ):
        with pytest.raises(DecryptionFailed) as caught:
            attempt()
        messages.add(caught.value.message)
        assert caught.value.__cause__ is None
    assert len(messages) == 1


@given(plaintext=st.binary(max_size=2048), aad=st.binary(max_size=256))
def test_round_trip_property(plaintext: bytes, aad: bytes) -> None:
    assert aead.open_sealed(KEY, aead.seal(KEY, plaintext, aad), aad) == plaintext
