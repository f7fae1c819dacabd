"""The ciphertext envelope names its key version; malformed envelopes are opaque failures."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.crypto import ciphertext
from strongroom.domain.errors import DecryptionFailed

KV = "ocid1.keyversion.oc1.r1..aaaaaaaaexample"

key_version_ids = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=512
)


def test_layout() -> None:
    blob = ciphertext.pack(KV, b"payload")
    assert blob[:4] == ciphertext.MAGIC == b"SRC1"
    assert struct.unpack(">H", blob[4:6]) == (len(KV),)
    assert blob[6 : 6 + len(KV)] == KV.encode("ascii")
    assert blob[6 + len(KV) :] == b"payload"


def test_header_for_matches_the_packed_header() -> None:
    blob = ciphertext.pack(KV, b"p")
    header = ciphertext.header_for(KV)
    assert blob.startswith(header)
    envelope = ciphertext.unpack(blob)
    assert envelope.header == header
    assert envelope.key_version_id == KV
    assert envelope.payload == b"p"


def test_empty_payload_round_trips() -> None:
    assert ciphertext.unpack(ciphertext.pack(KV, b"")).payload == b""


@given(key_version_id=key_version_ids, payload=st.binary(max_size=1024))
def test_pack_unpack_round_trip(key_version_id: str, payload: bytes) -> None:
    envelope = ciphertext.unpack(ciphertext.pack(key_version_id, payload))
    assert envelope.key_version_id == key_version_id
    assert envelope.payload == payload


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"SRC",
        b"SRC1",
        b"SRC1\x00",
        b"SRC2\x00\x01a",
        b"src1\x00\x01a",
        b"SRC1\x00\x00payload",  # empty key-version id
        b"SRC1\x00\x05abc",  # id longer than the blob
        b"SRC1\x02\x01" + b"a" * 513,  # id over the 512-byte limit
        b"SRC1\x00\x02\xff\xfe",  # id is not ASCII
        b"SRC1\x00\x03\xc3\xa9x",  # UTF-8 is not ASCII either
        b"\x00" * 64,
    ],
)
def test_malformed_envelopes_fail_opaquely(blob: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        ciphertext.unpack(blob)


@given(st.binary(max_size=64))
def test_unpack_never_raises_anything_but_decryption_failed(blob: bytes) -> None:
    try:
        envelope = ciphertext.unpack(blob)
    except DecryptionFailed:
        return
    assert ciphertext.pack(envelope.key_version_id, envelope.payload) == blob
