"""The software back end and the keystore: sealing at rest, AES-GCM, failures."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from strongroom.crypto import aead
from strongroom.ekm_proxy import admin
from strongroom.ekm_proxy.backends.base import VersionRef
from strongroom.ekm_proxy.backends.software import SoftwareBackend, _seal_aad
from strongroom.ekm_proxy.config import KEYS_FILE, MASTER_KEY_FILE
from strongroom.ekm_proxy.errors import BackendUnavailable, ConfigurationError, InvalidCiphertext
from strongroom.ekm_proxy.keystore import load_keys


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "ekm"
    admin.initialize(directory, "software")
    return directory


def _ref(data_dir: Path, key_id: str) -> VersionRef:
    record = load_keys(data_dir / KEYS_FILE)[key_id]
    version = record.versions[record.current_version]
    return VersionRef(key_id, version.version_id, version.sealed)


def test_files_are_private(data_dir: Path) -> None:
    assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
    for name in (MASTER_KEY_FILE, KEYS_FILE, "ekm.json"):
        assert stat.S_IMODE(os.stat(data_dir / name).st_mode) == 0o600, name


def test_round_trip_with_aad(data_dir: Path) -> None:
    key = admin.create_key(data_dir)
    backend = SoftwareBackend(data_dir)
    ref = _ref(data_dir, key.key_id)
    nonce, sealed = backend.encrypt(ref, b"secret data", b"ctx")
    assert len(nonce) == 12
    assert backend.decrypt(ref, nonce, sealed, b"ctx") == b"secret data"
    with pytest.raises(InvalidCiphertext):
        backend.decrypt(ref, nonce, sealed, b"other")
    tampered = bytes([sealed[0] ^ 1]) + sealed[1:]
    with pytest.raises(InvalidCiphertext):
        backend.decrypt(ref, nonce, tampered, b"ctx")
    with pytest.raises(InvalidCiphertext):
        backend.decrypt(ref, nonce[:-1], sealed, b"ctx")


def test_nonces_are_fresh(data_dir: Path) -> None:
    key = admin.create_key(data_dir)
    backend = SoftwareBackend(data_dir)
    ref = _ref(data_dir, key.key_id)
    nonces = {backend.encrypt(ref, b"x", b"")[0] for _ in range(200)}
    assert len(nonces) == 200


def test_no_key_material_in_the_clear(data_dir: Path) -> None:
    """The keystore holds only sealed material; unsealing needs the master key."""
    key = admin.create_key(data_dir)
    admin.rotate_key(data_dir, key.key_id)
    master = (data_dir / MASTER_KEY_FILE).read_bytes()
    keystore = (data_dir / KEYS_FILE).read_bytes()
    record = load_keys(data_dir / KEYS_FILE)[key.key_id]
    for version in record.versions.values():
        assert version.sealed is not None
        material = aead.open_sealed(
            master, base64.b64decode(version.sealed), _seal_aad(key.key_id, version.version_id)
        )
        assert len(material) == 32
        for encoding in (material, material.hex().encode(), base64.b64encode(material)):
            assert encoding not in keystore
    assert base64.b64encode(master) not in keystore
    assert master.hex().encode() not in keystore


def test_sealed_material_is_bound_to_its_key_and_version(data_dir: Path) -> None:
    first = admin.create_key(data_dir)
    second = admin.create_key(data_dir)
    backend = SoftwareBackend(data_dir)
    stolen = _ref(data_dir, first.key_id).sealed
    moved = VersionRef(second.key_id, second.current_version, stolen)
    with pytest.raises(BackendUnavailable):
        backend.encrypt(moved, b"x", b"")


def test_check_detects_a_replaced_master_key(data_dir: Path) -> None:
    backend = SoftwareBackend(data_dir)
    assert backend.check()["masterKey"] == "ok"
    path = data_dir / MASTER_KEY_FILE
    path.chmod(0o600)
    path.write_bytes(os.urandom(32))
    with pytest.raises(BackendUnavailable):
        backend.check()
    path.unlink()
    with pytest.raises(BackendUnavailable):
        backend.check()


def test_rotation_keeps_old_versions(data_dir: Path) -> None:
    key = admin.create_key(data_dir)
    backend = SoftwareBackend(data_dir)
    old = _ref(data_dir, key.key_id)
    nonce, sealed = backend.encrypt(old, b"before", b"")
    new_version = admin.rotate_key(data_dir, key.key_id)
    record = load_keys(data_dir / KEYS_FILE)[key.key_id]
    assert record.current_version == new_version.version_id
    assert list(record.versions) == [old.version_id, new_version.version_id]
    assert SoftwareBackend(data_dir).decrypt(old, nonce, sealed, b"") == b"before"


def test_enable_disable_and_errors(data_dir: Path) -> None:
    key = admin.create_key(data_dir, "my-key")
    admin.set_enabled(data_dir, "my-key", False)
    assert not load_keys(data_dir / KEYS_FILE)["my-key"].enabled
    admin.set_enabled(data_dir, "my-key", True, key.current_version)
    admin.set_enabled(data_dir, "my-key", False, key.current_version)
    record = load_keys(data_dir / KEYS_FILE)["my-key"]
    assert not record.versions[key.current_version].enabled
    with pytest.raises(ConfigurationError):
        admin.create_key(data_dir, "my-key")
    with pytest.raises(ConfigurationError):
        admin.create_key(data_dir, "bad/id")
    with pytest.raises(ConfigurationError):
        admin.rotate_key(data_dir, "missing")
    with pytest.raises(ConfigurationError):
        admin.set_enabled(data_dir, "my-key", True, "0000000000000000")


def test_init_twice_is_refused(data_dir: Path) -> None:
    with pytest.raises(ConfigurationError, match="already initialised"):
        admin.initialize(data_dir, "software")


def test_credentials_are_kept_private(data_dir: Path) -> None:
    config = admin.add_credential(data_dir, "AKIDONE", "a-very-secret-access-key")
    assert "a-very-secret-access-key" not in repr(config)
    config = admin.add_credential(data_dir, "AKIDTWO", "another-secret-access-key")
    assert set(config.xks.credentials) == {"AKIDONE", "AKIDTWO"}
    config = admin.remove_credential(data_dir, "AKIDONE")
    assert set(config.xks.credentials) == {"AKIDTWO"}
    with pytest.raises(ConfigurationError):
        admin.remove_credential(data_dir, "AKIDONE")
    with pytest.raises(ConfigurationError):
        admin.add_credential(data_dir, "AKIDSHORT", "short")
    with pytest.raises(ConfigurationError):
        admin.add_credential(data_dir, "AKID/BAD", "a-very-secret-access-key")
