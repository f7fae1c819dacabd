"""Key material shared by the unit tests, generated once per session (RSA keygen is slow)."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from strongroom.crypto import asymmetric, keymaterial, signing
from strongroom.domain.key import make_shape


@pytest.fixture(scope="session")
def rsa_material() -> bytes:
    """PKCS#8 DER of an RSA-2048 key, as SoftwareProvider stores it (before sealing)."""
    return keymaterial.generate(make_shape("RSA", 256, None))


@pytest.fixture(scope="session")
def ec_materials() -> dict[str, bytes]:
    """PKCS#8 DER of one ECDSA key per curve, keyed by curve id."""
    return {
        curve: keymaterial.generate(make_shape("ECDSA", length, curve))
        for curve, length in (("NIST_P256", 32), ("NIST_P384", 48), ("NIST_P521", 66))
    }


@pytest.fixture(scope="session")
def wrapping_private() -> rsa.RSAPrivateKey:
    """The caller's RSA-2048 key pair an exported key is wrapped for."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def wrapping_public_pem(wrapping_private: rsa.RSAPrivateKey) -> str:
    return (
        wrapping_private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


# pyca re-validates an RSA key on every PKCS#8 load (~30 ms for RSA-2048, 100x the cost of a
# signature), and the crypto modules load the material on every call. Tests that exercise the
# signing/OAEP logic many times share one memoized loader so the suite stays fast; the vectors
# and the contract tests still take the real path.
_memoized_load_private = functools.lru_cache(maxsize=64)(keymaterial.load_private)


@pytest.fixture
def fast_key_loading(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Memoize PKCS#8 loading inside :mod:`signing` and :mod:`asymmetric` for one test."""
    monkeypatch.setattr(signing, "load_private", _memoized_load_private)
    monkeypatch.setattr(asymmetric, "load_private", _memoized_load_private)
    yield
