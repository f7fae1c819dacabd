"""The softhsm back end in process, against a SoftHSM2 token made for this module."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

from strongroom.ekm_proxy.backends.base import VersionRef
from strongroom.ekm_proxy.backends.softhsm import SoftHsmBackend, label_for
from strongroom.ekm_proxy.config import SoftHsmSettings
from strongroom.ekm_proxy.errors import BackendUnavailable, InvalidCiphertext
from tests.ekm_support import SOFTHSM_MODULE, requires_softhsm, softhsm_token

pytestmark = requires_softhsm


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> SoftHsmSettings:
    token = softhsm_token(tmp_path_factory.mktemp("softhsm"), label="unit-token")
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            token.label,
            "--so-pin",
            "so-pin-1234",
            "--pin",
            token.pin,
        ],
        env={**os.environ, "SOFTHSM2_CONF": str(token.conf)},
        check=True,
        capture_output=True,
    )
    return SoftHsmSettings(
        module=SOFTHSM_MODULE, token_label=token.label, softhsm_conf=str(token.conf), pin=token.pin
    )


@pytest.fixture(scope="module")
def backend(settings: SoftHsmSettings) -> Iterator[SoftHsmBackend]:
    opened = SoftHsmBackend(settings)
    yield opened
    opened.close()


def test_keys_are_sensitive_non_extractable_token_objects(backend: SoftHsmBackend) -> None:
    from pkcs11 import Attribute, KeyType, ObjectClass

    assert backend.generate("k1", "0000000000000001") is None  # nothing to keep on disk
    session = backend._open()
    key = session.get_key(
        key_type=KeyType.AES,
        object_class=ObjectClass.SECRET_KEY,
        label=label_for("k1", "0000000000000001"),
    )
    assert key[Attribute.TOKEN] is True
    assert key[Attribute.SENSITIVE] is True
    assert key[Attribute.EXTRACTABLE] is False
    assert key[Attribute.VALUE_LEN] == 32
    from pkcs11.exceptions import AttributeSensitive

    with pytest.raises(AttributeSensitive):
        key[Attribute.VALUE]


def test_round_trip_and_tampering(backend: SoftHsmBackend) -> None:
    backend.generate("k2", "0000000000000002")
    ref = VersionRef("k2", "0000000000000002")
    nonce, sealed = backend.encrypt(ref, b"hsm data", b"aad")
    assert len(nonce) == 12 and len(sealed) == len(b"hsm data") + 16
    assert backend.decrypt(ref, nonce, sealed, b"aad") == b"hsm data"
    with pytest.raises(InvalidCiphertext):
        backend.decrypt(ref, nonce, sealed, b"other aad")
    with pytest.raises(InvalidCiphertext):
        backend.decrypt(ref, nonce, sealed[:-1] + bytes([sealed[-1] ^ 1]), b"aad")
    with pytest.raises(InvalidCiphertext):
        backend.decrypt(ref, nonce, sealed[:10], b"aad")
    empty_nonce, empty = backend.encrypt(ref, b"", b"")
    assert backend.decrypt(ref, empty_nonce, empty, b"") == b""


def test_each_version_is_its_own_key(backend: SoftHsmBackend) -> None:
    backend.generate("k3", "0000000000000003")
    backend.generate("k3", "0000000000000004")
    first, second = VersionRef("k3", "0000000000000003"), VersionRef("k3", "0000000000000004")
    nonce, sealed = backend.encrypt(first, b"x", b"")
    with pytest.raises(InvalidCiphertext):
        backend.decrypt(second, nonce, sealed, b"")


def test_missing_material_is_unavailable(backend: SoftHsmBackend) -> None:
    with pytest.raises(BackendUnavailable, match="missing"):
        backend.encrypt(VersionRef("nope", "00000000000000ff"), b"x", b"")


def test_health_check_round_trips(backend: SoftHsmBackend) -> None:
    details = backend.check()
    assert details["token"] == "unit-token"


def test_an_unknown_token_is_unavailable(settings: SoftHsmSettings) -> None:
    from dataclasses import replace

    other = SoftHsmBackend(replace(settings, token_label="no-such-token"))
    with pytest.raises(BackendUnavailable):
        other.check()
    other.close()
