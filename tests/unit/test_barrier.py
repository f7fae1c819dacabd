"""Encryption at rest: keyring, barrier seal/open bound to row identity, internal master key."""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from strongroom.barrier.barrier import Barrier, SealedBarrier
from strongroom.barrier.keyring import Keyring
from strongroom.barrier.master_key import InternalMasterKey
from strongroom.domain.errors import DecryptionFailed


class MemoryKeyringStore:
    """A KeyringStore kept in memory (the database implements the same port)."""

    def __init__(self) -> None:
        self.stored: tuple[bytes, str] | None = None
        self.saves = 0

    def load_keyring(self) -> tuple[bytes, str] | None:
        return self.stored

    def save_keyring(self, wrapped: bytes, master_key_id: str) -> None:
        self.stored = (wrapped, master_key_id)
        self.saves += 1


@pytest.fixture
def master() -> InternalMasterKey:
    return InternalMasterKey(os.urandom(32), "mk-test")


@pytest.fixture
def barrier(master: InternalMasterKey) -> Barrier:
    b = Barrier()
    b.unseal(master, MemoryKeyringStore())
    return b


# --- keyring ---


def test_new_keyring_has_one_active_term() -> None:
    ring = Keyring.new()
    assert ring.active == 1
    assert set(ring.terms) == {1}
    assert len(ring.terms[1]) == 32


def test_keyring_serialize_round_trip() -> None:
    ring = Keyring.new()
    ring.rotate()
    ring.rotate()
    again = Keyring.deserialize(ring.serialize())
    assert again.active == ring.active == 3
    assert again.terms == ring.terms


def test_keyring_serialization_is_canonical() -> None:
    ring = Keyring.new()
    assert Keyring.deserialize(ring.serialize()).serialize() == ring.serialize()


def test_rotate_adds_a_new_distinct_term() -> None:
    ring = Keyring.new()
    first = ring.terms[1]
    assert ring.rotate() == 2
    assert ring.active == 2
    assert ring.terms[1] == first
    assert ring.terms[2] != first


def test_rotate_after_gaps_uses_the_highest_term() -> None:
    ring = Keyring(terms={1: os.urandom(32), 5: os.urandom(32)}, active=1)
    assert ring.rotate() == 6


def test_cipher_for_unknown_term_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        Keyring.new().cipher(99)


def test_keyring_repr_hides_key_bytes() -> None:
    ring = Keyring.new()
    assert "_ciphers" not in repr(ring)


# --- barrier ---


def test_sealed_barrier_refuses_to_work() -> None:
    b = Barrier()
    with pytest.raises(SealedBarrier):
        b.seal(b"x", "row")
    with pytest.raises(SealedBarrier):
        b.open(b"\x00\x00\x00\x01" + bytes(40), "row")


def test_seal_open_round_trip(barrier: Barrier) -> None:
    blob = barrier.seal(b"secret material", "key_versions/kv1/material")
    assert b"secret material" not in blob
    assert barrier.open(blob, "key_versions/kv1/material") == b"secret material"


def test_layout_is_term_then_aead(barrier: Barrier) -> None:
    blob = barrier.seal(b"abc", "row")
    assert struct.unpack(">I", blob[:4]) == (barrier.keyring.active,)
    assert len(blob) == 4 + 12 + 3 + 16


def test_a_value_moved_to_another_identity_fails(barrier: Barrier) -> None:
    blob = barrier.seal(b"material", "key_versions/kv1/material")
    for other in (
        "key_versions/kv2/material",
        "key_versions/kv1/materia",
        "",
        "KEY_VERSIONS/kv1/material",
    ):
        with pytest.raises(DecryptionFailed):
            barrier.open(blob, other)


def test_every_tampered_byte_fails(barrier: Barrier) -> None:
    blob = barrier.seal(b"material", "row")
    for index in range(len(blob)):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        with pytest.raises(DecryptionFailed):
            barrier.open(bytes(tampered), "row")


@pytest.mark.parametrize(
    "blob", [b"", b"\x00", b"\x00\x00\x00\x01", b"\x00\x00\x00\x01" + bytes(27)]
)
def test_short_blobs_fail(barrier: Barrier, blob: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        barrier.open(blob, "row")


def test_unknown_term_fails(barrier: Barrier) -> None:
    blob = barrier.seal(b"material", "row")
    for term in (0, 2, 2**32 - 1):
        with pytest.raises(DecryptionFailed):
            barrier.open(struct.pack(">I", term) + blob[4:], "row")


def test_rotation_keeps_old_terms_readable(barrier: Barrier) -> None:
    old = barrier.seal(b"old", "row")
    barrier.keyring.rotate()
    new = barrier.seal(b"new", "row")
    assert struct.unpack(">I", old[:4]) == (1,)
    assert struct.unpack(">I", new[:4]) == (2,)
    assert barrier.open(old, "row") == b"old"
    assert barrier.open(new, "row") == b"new"


def test_a_value_relabelled_to_another_term_fails(barrier: Barrier) -> None:
    blob = barrier.seal(b"material", "row")
    barrier.keyring.rotate()
    with pytest.raises(DecryptionFailed):
        barrier.open(struct.pack(">I", 2) + blob[4:], "row")


def test_unseal_initializes_once_then_loads(master: InternalMasterKey) -> None:
    store = MemoryKeyringStore()
    first = Barrier()
    first.unseal(master, store)
    assert store.saves == 1
    assert store.stored is not None
    assert store.stored[1] == "mk-test"
    blob = first.seal(b"value", "row")

    second = Barrier()
    second.unseal(master, store)
    assert store.saves == 1
    assert second.open(blob, "row") == b"value"


def test_stored_keyring_is_wrapped(master: InternalMasterKey) -> None:
    store = MemoryKeyringStore()
    b = Barrier()
    b.unseal(master, store)
    assert store.stored is not None
    wrapped = store.stored[0]
    for key in b.keyring.terms.values():
        assert key not in wrapped
    assert Keyring.deserialize(master.unwrap(wrapped)).terms == b.keyring.terms


def test_unseal_with_another_master_key_fails(master: InternalMasterKey) -> None:
    store = MemoryKeyringStore()
    Barrier().unseal(master, store)
    with pytest.raises(DecryptionFailed):
        Barrier().unseal(InternalMasterKey(os.urandom(32), "mk-other"), store)


def test_two_barriers_with_different_keyrings_cannot_read_each_other(
    master: InternalMasterKey,
) -> None:
    a, b = Barrier(), Barrier()
    a.unseal(master, MemoryKeyringStore())
    b.unseal(master, MemoryKeyringStore())
    with pytest.raises(DecryptionFailed):
        b.open(a.seal(b"x", "row"), "row")


@given(plaintext=st.binary(max_size=1024), identity=st.text(max_size=200))
def test_seal_open_round_trip_property(plaintext: bytes, identity: str) -> None:
    assert _SHARED.open(_SHARED.seal(plaintext, identity), identity) == plaintext


@given(plaintext=st.binary(max_size=64), first=st.text(max_size=50), second=st.text(max_size=50))
def test_other_identity_always_fails_property(plaintext: bytes, first: str, second: str) -> None:
    assume(first != second)
    with pytest.raises(DecryptionFailed):
        _SHARED.open(_SHARED.seal(plaintext, first), second)


_SHARED = Barrier()
_SHARED.unseal(InternalMasterKey(os.urandom(32), "mk-prop"), MemoryKeyringStore())


# --- internal master key ---


def test_master_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        InternalMasterKey(bytes(16), "mk")


def test_create_writes_an_owner_only_file_and_load_reads_it(tmp_path: Path) -> None:
    created = InternalMasterKey.create(tmp_path, "mk-1")
    path = tmp_path / InternalMasterKey.FILENAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = InternalMasterKey.load(tmp_path)
    assert loaded.key_id == "mk-1"
    assert loaded.management_type == "internal"
    assert loaded.unwrap(created.wrap(b"keyring")) == b"keyring"


def test_create_refuses_to_overwrite(tmp_path: Path) -> None:
    InternalMasterKey.create(tmp_path, "mk-1")
    before = (tmp_path / InternalMasterKey.FILENAME).read_bytes()
    with pytest.raises(FileExistsError):
        InternalMasterKey.create(tmp_path, "mk-2")
    assert (tmp_path / InternalMasterKey.FILENAME).read_bytes() == before


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o610, 0o601])
def test_load_refuses_a_group_or_other_accessible_file(tmp_path: Path, mode: int) -> None:
    InternalMasterKey.create(tmp_path, "mk-1")
    os.chmod(tmp_path / InternalMasterKey.FILENAME, mode)
    with pytest.raises(PermissionError, match="chmod 600"):
        InternalMasterKey.load(tmp_path)


def test_load_accepts_an_owner_read_only_file(tmp_path: Path) -> None:
    InternalMasterKey.create(tmp_path, "mk-1")
    os.chmod(tmp_path / InternalMasterKey.FILENAME, 0o400)
    assert InternalMasterKey.load(tmp_path).key_id == "mk-1"


def test_load_of_a_missing_file_fails(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        InternalMasterKey.load(tmp_path)


def test_wrap_unwrap(master: InternalMasterKey) -> None:
    wrapped = master.wrap(b"serialized keyring")
    assert b"serialized keyring" not in wrapped
    assert master.unwrap(wrapped) == b"serialized keyring"
    assert master.wrap(b"same") != master.wrap(b"same")


def test_unwrap_with_another_key_or_tampered_blob_fails(master: InternalMasterKey) -> None:
    wrapped = master.wrap(b"keyring")
    with pytest.raises(DecryptionFailed):
        InternalMasterKey(os.urandom(32), "other").unwrap(wrapped)
    with pytest.raises(DecryptionFailed):
        master.unwrap(wrapped[:-1] + bytes([wrapped[-1] ^ 1]))


def test_master_key_wrap_is_bound_to_its_purpose(master: InternalMasterKey) -> None:
    """A blob sealed with the master key but without the keyring AAD is not accepted."""
    from strongroom.crypto import aead

    with pytest.raises(DecryptionFailed):
        master.unwrap(aead.seal(master._key, b"keyring", None))
