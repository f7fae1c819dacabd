"""Wire formats of the EKM proxy, including the XKS spec's CDIV example (Appendix C)."""

from __future__ import annotations

import base64
import struct

import pytest

from strongroom.ekm_proxy import formats
from strongroom.ekm_proxy.errors import InvalidCiphertext

VERSION = "0123456789abcdef"


def test_ekms_blob_round_trip() -> None:
    nonce, sealed = b"n" * 12, b"c" * 20
    blob = formats.pack_ekms(VERSION, nonce, sealed)
    assert formats.unpack_ekms(blob) == (VERSION, nonce, sealed)


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"\x01",
        b"\x02\x10" + VERSION.encode() + b"n" * 12 + b"t" * 16,  # unknown format
        b"\x01\x10" + VERSION.encode() + b"n" * 12 + b"t" * 15,  # too short for a tag
        b"\x01\x10" + b"0123456789ABCDEF" + b"n" * 12 + b"t" * 16,  # not a version id
        b"\x01\xff" + b"x" * 40,
    ],
)
def test_ekms_blob_rejects_garbage(blob: bytes) -> None:
    with pytest.raises(InvalidCiphertext):
        formats.unpack_ekms(blob)


def test_ekms_aad_is_length_prefixed() -> None:
    assert formats.ekms_aad("ab", VERSION, b"c") != formats.ekms_aad("a", VERSION, b"bc")
    assert formats.ekms_aad("k", VERSION, b"") != formats.ekms_aad("k", VERSION, b"\x00")


def test_xks_metadata_fits_20_bytes_and_round_trips() -> None:
    meta = formats.xks_metadata(VERSION)
    assert len(meta) <= 20
    assert formats.parse_xks_metadata(meta) == VERSION
    with pytest.raises(InvalidCiphertext):
        formats.parse_xks_metadata(b"\x01short")


def test_xks_aad_follows_the_spec() -> None:
    """2-byte big-endian aad length || aad || 1-byte metadata length || metadata."""
    assert formats.xks_aad(b"abc", b"m1") == b"\x00\x03abc\x02m1"
    assert formats.xks_aad(None, b"") == b"\x00\x00\x00"
    # metadata passed as aad does not collide with metadata passed as metadata
    assert formats.xks_aad(b"meta", b"") != formats.xks_aad(None, b"meta")
    assert formats.xks_aad(b"x" * 8192, b"")[:2] == struct.pack(">H", 8192)


def test_cdiv_matches_the_spec_example() -> None:
    """Appendix C of the XKS proxy API spec: the worked example's SHA-256."""
    aad = b"project=nile,department=marketing"
    meta = b"key_version=1"
    iv = bytes.fromhex("1ccae5470f39700254779031")
    ciphertext = bytes.fromhex("821c642b5b71783367deaf18")
    tag = bytes.fromhex("bc1c4dda7707d6812447c5955e99b261")
    value = formats.cdiv(aad, meta, iv, ciphertext, tag)
    assert base64.b64encode(value).decode() == "qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc="
