"""Protocol choice, what a connection shows, and the XKS ciphertext blob format."""

from __future__ import annotations

from dataclasses import replace

import pytest

from strongroom.crypto.providers.ekm_client import EkmInvalidCiphertext, EkmProtocol, protocol_for
from strongroom.crypto.providers.ekm_client.xks_blob import XksCiphertext, pack, unpack
from tests.unit.ekm_client.fakes import SECRET, connection


@pytest.mark.parametrize(
    ("url", "protocol"),
    [
        ("https://xks.example/kms/xks/v1", EkmProtocol.XKS),
        ("https://xks.example/kms/xks/v1/", EkmProtocol.XKS),
        ("https://xks.example:8443/tenant-a/kms/xks/v1", EkmProtocol.XKS),
        ("https://ekm.example/v1/vaults/abc", EkmProtocol.EKMS),
        ("https://ekm.example/kms/xks/v1/keys", EkmProtocol.EKMS),
        ("https://ekm.example/kms/xks/v1?x=1", EkmProtocol.XKS),
    ],
)
def test_protocol_follows_the_endpoint_path(url: str, protocol: EkmProtocol) -> None:
    assert protocol_for(url) is protocol


def test_connections_are_equal_and_hash_alike_by_their_fields() -> None:
    conn = connection(EkmProtocol.EKMS)
    twin = replace(conn)
    assert conn == twin and hash(conn) == hash(twin) and {conn: 1}[twin] == 1
    for change in ({"client_secret": "other"}, {"timeout_seconds": 1.0}, {"region": "r2"}):
        other = replace(conn, **change)
        assert other != conn and hash(other) != hash(conn)


def test_connection_repr_hides_the_secret() -> None:
    conn = connection(EkmProtocol.EKMS)
    assert SECRET not in repr(conn)
    assert "client" in repr(conn)


def test_xks_blob_round_trips() -> None:
    parts = XksCiphertext(b"cipher", b"i" * 12, b"t" * 16, b"version-7")
    blob = pack(parts)
    assert blob[0] == 1
    assert len(blob) == 4 + 12 + 16 + 9 + 6
    assert unpack(blob) == parts
    empty = XksCiphertext(b"", b"i" * 16, b"t" * 16, b"")
    assert unpack(pack(empty)) == empty


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"\x01\x0c\x10",
        b"\x02" + bytes(40),
        b"\x01\x0c\x10\x05" + bytes(20),
        b"\x01\x00\x10\x00",
    ],
)
def test_xks_blob_rejects_what_it_did_not_write(blob: bytes) -> None:
    with pytest.raises(EkmInvalidCiphertext):
        unpack(blob)
