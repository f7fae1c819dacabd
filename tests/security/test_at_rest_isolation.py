"""Storage is untrusted: sealed key material is bound to its row, and failures reveal nothing."""

from __future__ import annotations

import os

import pytest

from strongroom.api.oci.errors import status_and_code
from strongroom.barrier.barrier import Barrier
from strongroom.barrier.master_key import InternalMasterKey
from strongroom.crypto import aead, asymmetric, ciphertext, keymaterial
from strongroom.crypto.providers.software import SoftwareProvider
from strongroom.domain.errors import DecryptionFailed, StorageIntegrityError
from strongroom.domain.key import make_shape


class _Store:
    def __init__(self) -> None:
        self.stored: tuple[bytes, str] | None = None

    def load_keyring(self) -> tuple[bytes, str] | None:
        return self.stored

    def save_keyring(self, wrapped: bytes, master_key_id: str) -> None:
        self.stored = (wrapped, master_key_id)


@pytest.fixture
def barrier() -> Barrier:
    b = Barrier()
    b.unseal(InternalMasterKey(os.urandom(32), "mk"), _Store())
    return b


def test_stored_material_never_contains_the_plaintext(barrier: Barrier) -> None:
    provider = SoftwareProvider(barrier)
    new = provider.create(make_shape("AES", 32, None), "kv-1")
    material = provider.material(new.stored, "kv-1")
    assert len(material) == 32
    assert material not in new.stored
    assert new.public_key_pem is None


def test_material_moved_to_another_version_row_does_not_open(barrier: Barrier) -> None:
    provider = SoftwareProvider(barrier)
    stolen = provider.create(make_shape("AES", 32, None), "kv-victim").stored
    with pytest.raises(StorageIntegrityError) as caught:
        provider.material(stolen, "kv-attacker")
    # a storage failure naming the row it was read for, not the caller's bad ciphertext
    assert status_and_code(caught.value) == (500, "InternalServerError")
    assert status_and_code(DecryptionFailed()) == (400, "InvalidParameter")
    assert (caught.value.table, caught.value.row) == ("key_versions", "kv-attacker/material")
    # and not via a warm cache either
    provider.material(stolen, "kv-victim")
    with pytest.raises(StorageIntegrityError):
        SoftwareProvider(barrier).material(stolen, "kv-attacker")


def test_material_sealed_as_another_kind_of_row_does_not_open(barrier: Barrier) -> None:
    provider = SoftwareProvider(barrier)
    blob = barrier.seal(os.urandom(32), "secret_versions/kv-1/content")
    with pytest.raises(StorageIntegrityError):
        provider.material(blob, "kv-1")


def test_asymmetric_material_is_sealed_and_has_a_public_half(barrier: Barrier) -> None:
    provider = SoftwareProvider(barrier)
    new = provider.create(make_shape("ECDSA", 32, None), "kv-ec")
    assert new.public_key_pem is not None
    material = provider.material(new.stored, "kv-ec")
    assert keymaterial.public_pem(material) == new.public_key_pem
    assert material not in new.stored


def test_another_deployments_keyring_cannot_open_stored_material(barrier: Barrier) -> None:
    stored = SoftwareProvider(barrier).create(make_shape("AES", 32, None), "kv-1").stored
    other = Barrier()
    other.unseal(InternalMasterKey(os.urandom(32), "mk-2"), _Store())
    with pytest.raises(StorageIntegrityError):
        SoftwareProvider(other).material(stored, "kv-1")


def test_every_stored_value_failure_looks_the_same(barrier: Barrier) -> None:
    """Wrong row, truncated, unknown term: one storage integrity error, no chained cause,
    naming the row only (never the value)."""
    sealed = barrier.seal(b"value", "table/row")
    attempts = [
        lambda: barrier.open(sealed, "table/other row"),
        lambda: barrier.open(sealed[:-1], "table/row"),
        lambda: barrier.open(b"\xff\xff\xff\xff" + sealed[4:], "table/row"),
        lambda: barrier.open(b"\x00", "table/row"),
    ]
    seen = set()
    for attempt in attempts:
        with pytest.raises(StorageIntegrityError) as caught:
            attempt()
        error = caught.value
        seen.add((type(error), error.message, str(error), error.table))
        assert error.__cause__ is None
        assert error.__suppress_context__ or error.__context__ is None
        assert b"value" not in repr(vars(error)).encode()
    assert seen == {(StorageIntegrityError, "Internal error", "Internal error", "table")}


def test_every_decryption_failure_looks_the_same() -> None:
    """Bad tag, bad envelope, bad OAEP (a caller's ciphertext): one message, no chained cause."""
    rsa_material = keymaterial.generate(make_shape("RSA", 256, None))
    attempts = [
        lambda: aead.open_sealed(bytes(32), aead.seal(os.urandom(32), b"x", None), None),
        lambda: aead.open_sealed(bytes(32), b"short", None),
        lambda: ciphertext.unpack(b"not an envelope"),
        lambda: asymmetric.decrypt(rsa_material, "RSA_OAEP_SHA_256", b"\x00" * 256),
    ]
    seen = set()
    for attempt in attempts:
        with pytest.raises(DecryptionFailed) as caught:
            attempt()
        seen.add((type(caught.value), caught.value.message, str(caught.value)))
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__ or caught.value.__context__ is None
    assert len(seen) == 1


def test_ciphertext_header_binding_detects_a_swapped_key_version() -> None:
    """Encrypt binds the envelope header into the AEAD data, so relabelling a ciphertext fails."""
    key = os.urandom(32)
    header = ciphertext.header_for("ocid1.keyversion.oc1.r1..aaaaaaaaone")
    blob = header + aead.seal(key, b"plaintext", header)
    envelope = ciphertext.unpack(blob)
    assert aead.open_sealed(key, envelope.payload, envelope.header) == b"plaintext"
    relabelled = ciphertext.unpack(
        ciphertext.pack("ocid1.keyversion.oc1.r1..aaaaaaaatwo", envelope.payload)
    )
    with pytest.raises(DecryptionFailed):
        aead.open_sealed(key, relabelled.payload, relabelled.header)
