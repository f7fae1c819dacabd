"""The engine: keystore snapshots re-read on change, enabled/disabled rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.ekm_proxy import admin
from strongroom.ekm_proxy.backends.software import SoftwareBackend
from strongroom.ekm_proxy.engine import Engine
from strongroom.ekm_proxy.errors import InvalidCiphertext, KeyDisabled, KeyNotFound


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "ekm"
    admin.initialize(directory, "software")
    return directory


def test_sees_keys_created_later(data_dir: Path) -> None:
    clock = Clock()
    engine = Engine(data_dir, SoftwareBackend(data_dir), reload_interval=1.0, clock=clock)
    with pytest.raises(KeyNotFound):
        engine.key("later")
    admin.create_key(data_dir, "later")
    assert engine.key("later").key_id == "later"  # an unknown id forces a look at the file


def test_state_changes_show_up_after_the_interval(data_dir: Path) -> None:
    admin.create_key(data_dir, "k")
    clock = Clock()
    engine = Engine(data_dir, SoftwareBackend(data_dir), reload_interval=1.0, clock=clock)
    _, version = engine.for_encrypt("k", None)
    admin.set_enabled(data_dir, "k", False)
    engine.for_encrypt("k", None)  # within the interval: the snapshot still says enabled
    clock.now += 1.5
    with pytest.raises(KeyDisabled):
        engine.for_encrypt("k", None)
    with pytest.raises(KeyDisabled):
        engine.for_decrypt("k", version.version_id)


def test_version_rules(data_dir: Path) -> None:
    key = admin.create_key(data_dir, "k")
    engine = Engine(data_dir, SoftwareBackend(data_dir), reload_interval=0.0)
    with pytest.raises(KeyNotFound):
        engine.for_encrypt("k", "ffffffffffffffff")
    with pytest.raises(InvalidCiphertext):
        engine.for_decrypt("k", "ffffffffffffffff")
    admin.set_enabled(data_dir, "k", False, key.current_version)
    with pytest.raises(KeyDisabled):
        engine.for_encrypt("k", None)


def test_a_corrupt_keystore_keeps_the_last_good_snapshot(data_dir: Path) -> None:
    admin.create_key(data_dir, "k")
    engine = Engine(data_dir, SoftwareBackend(data_dir), reload_interval=0.0)
    (data_dir / "keys.json").write_text("{not json")
    assert engine.key("k").key_id == "k"


def test_round_trip_and_health(data_dir: Path) -> None:
    admin.create_key(data_dir, "k")
    engine = Engine(data_dir, SoftwareBackend(data_dir))
    record, version = engine.for_encrypt("k", None)
    nonce, sealed = engine.encrypt(record, version, b"data", b"aad")
    assert engine.decrypt(record, version, nonce, sealed, b"aad") == b"data"
    assert engine.health()["backend"] == "software"
