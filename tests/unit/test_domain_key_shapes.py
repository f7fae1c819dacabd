"""Key shapes are validated as OCI does: algorithm, length in bytes, and curve for ECDSA."""

from __future__ import annotations

import pytest

from strongroom.domain.errors import InvalidParameter
from strongroom.domain.key import Algorithm, Curve, KeyShape, make_shape


@pytest.mark.parametrize(
    ("algorithm", "length", "curve", "expected"),
    [
        ("AES", 16, None, KeyShape(Algorithm.AES, 16)),
        ("AES", 24, None, KeyShape(Algorithm.AES, 24)),
        ("AES", 32, None, KeyShape(Algorithm.AES, 32)),
        ("RSA", 256, None, KeyShape(Algorithm.RSA, 256)),
        ("RSA", 384, None, KeyShape(Algorithm.RSA, 384)),
        ("RSA", 512, None, KeyShape(Algorithm.RSA, 512)),
        ("ECDSA", 32, None, KeyShape(Algorithm.ECDSA, 32, Curve.NIST_P256)),
        ("ECDSA", 48, None, KeyShape(Algorithm.ECDSA, 48, Curve.NIST_P384)),
        ("ECDSA", 66, None, KeyShape(Algorithm.ECDSA, 66, Curve.NIST_P521)),
        ("ECDSA", 32, "NIST_P256", KeyShape(Algorithm.ECDSA, 32, Curve.NIST_P256)),
        ("ECDSA", 48, "NIST_P384", KeyShape(Algorithm.ECDSA, 48, Curve.NIST_P384)),
        ("ECDSA", 66, "NIST_P521", KeyShape(Algorithm.ECDSA, 66, Curve.NIST_P521)),
    ],
)
def test_valid_shapes(algorithm: str, length: int, curve: str | None, expected: KeyShape) -> None:
    shape = make_shape(algorithm, length, curve)
    assert shape == expected
    assert shape.is_symmetric is (algorithm == "AES")


@pytest.mark.parametrize(
    ("algorithm", "length", "curve", "message"),
    [
        ("DES", 8, None, "keyShape.algorithm must be one of AES, RSA, ECDSA"),
        ("aes", 32, None, "keyShape.algorithm"),
        ("", 32, None, "keyShape.algorithm"),
        ("AES", 64, None, "keyShape.length for AES must be one of 16, 24, 32"),
        ("AES", 0, None, "keyShape.length for AES"),
        ("AES", -32, None, "keyShape.length for AES"),
        ("AES", "32", None, "keyShape.length for AES"),
        ("AES", 32.0, None, "keyShape.length for AES"),
        ("AES", True, None, "keyShape.length for AES"),
        ("AES", None, None, "keyShape.length for AES"),
        ("RSA", 128, None, "keyShape.length for RSA must be one of 256, 384, 512"),
        ("RSA", 2048, None, "keyShape.length for RSA"),
        ("ECDSA", 64, None, "keyShape.length for ECDSA must be one of 32, 48, 66"),
        ("AES", 32, "NIST_P256", "keyShape.curveId is only valid for ECDSA keys"),
        ("RSA", 256, "NIST_P256", "keyShape.curveId is only valid for ECDSA keys"),
        ("ECDSA", 32, "SECP256K1", "keyShape.curveId must be NIST_P256, NIST_P384 or NIST_P521"),
        ("ECDSA", 48, "NIST_P256", "keyShape.length 48 does not match curve NIST_P256"),
        ("ECDSA", 32, "NIST_P521", "keyShape.length 32 does not match curve NIST_P521"),
    ],
)
def test_invalid_shapes(algorithm: str, length: object, curve: str | None, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        make_shape(algorithm, length, curve)
