"""Keys, key shapes and key versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from strongroom.domain.errors import InvalidParameter
from strongroom.domain.lifecycle import State, effective_state
from strongroom.domain.tags import DefinedTags, FreeformTags

__all__ = [
    "KEY_DELETION_DAYS",
    "Algorithm",
    "Curve",
    "Key",
    "KeyShape",
    "KeyVersion",
    "Origin",
    "ProtectionMode",
    "make_shape",
]


class Algorithm(StrEnum):
    """Key algorithms the OCI KMS knows."""

    AES = "AES"
    RSA = "RSA"
    ECDSA = "ECDSA"


class Curve(StrEnum):
    """ECDSA curves, with their byte length as OCI reports it."""

    NIST_P256 = "NIST_P256"
    NIST_P384 = "NIST_P384"
    NIST_P521 = "NIST_P521"


class ProtectionMode(StrEnum):
    """Where key material lives."""

    SOFTWARE = "SOFTWARE"
    HSM = "HSM"
    EXTERNAL = "EXTERNAL"


_LENGTHS: dict[Algorithm, tuple[int, ...]] = {
    Algorithm.AES: (16, 24, 32),
    Algorithm.RSA: (256, 384, 512),
    Algorithm.ECDSA: (32, 48, 66),
}
_CURVE_LENGTH = {Curve.NIST_P256: 32, Curve.NIST_P384: 48, Curve.NIST_P521: 66}

KEY_DELETION_DAYS = (7, 30)


@dataclass(frozen=True)
class KeyShape:
    """Algorithm, length in bytes and, for ECDSA, the curve."""

    algorithm: Algorithm
    length: int
    curve_id: Curve | None = None

    @property
    def is_symmetric(self) -> bool:
        return self.algorithm is Algorithm.AES


def make_shape(algorithm: str, length: object, curve_id: str | None) -> KeyShape:
    """Validate a key shape as OCI does; raise InvalidParameter with what is allowed."""
    try:
        alg = Algorithm(algorithm)
    except ValueError:
        raise InvalidParameter("keyShape.algorithm must be one of AES, RSA, ECDSA") from None
    if isinstance(length, bool) or not isinstance(length, int) or length not in _LENGTHS[alg]:
        allowed = ", ".join(str(n) for n in _LENGTHS[alg])
        raise InvalidParameter(f"keyShape.length for {alg.value} must be one of {allowed}")
    curve: Curve | None = None
    if alg is Algorithm.ECDSA:
        curve = _curve_for(curve_id, length)
    elif curve_id is not None:
        raise InvalidParameter("keyShape.curveId is only valid for ECDSA keys")
    return KeyShape(alg, length, curve)


def _curve_for(curve_id: str | None, length: int) -> Curve:
    if curve_id is None:
        return next(c for c, n in _CURVE_LENGTH.items() if n == length)
    try:
        curve = Curve(curve_id)
    except ValueError:
        raise InvalidParameter(
            "keyShape.curveId must be NIST_P256, NIST_P384 or NIST_P521"
        ) from None
    if _CURVE_LENGTH[curve] != length:
        raise InvalidParameter(f"keyShape.length {length} does not match curve {curve.value}")
    return curve


@dataclass
class Key:
    """A key's metadata; its material lives in its versions."""

    id: str
    tenancy_id: str
    compartment_id: str
    vault_id: str
    display_name: str
    shape: KeyShape
    protection_mode: ProtectionMode
    lifecycle_state: State
    current_version_id: str
    time_created: datetime
    time_of_deletion: datetime | None = None
    freeform_tags: FreeformTags = field(default_factory=dict)
    defined_tags: DefinedTags = field(default_factory=dict)
    version: int = 1
    # EXTERNAL keys only: the EKM's id of the key holding the material, and the EKM's version
    # the current key version uses (version-aware EKMs only).
    external_key_id: str | None = None
    external_key_version_id: str | None = None
    # While on, scheduling the key's deletion is refused (see domain.deletion_protection).
    deletion_protection: bool = False
    deletion_protection_description: str | None = None

    def state_at(self, now: datetime) -> State:
        """The state as seen at ``now`` (scheduled deletions take effect on time)."""
        return effective_state(self.lifecycle_state, self.time_of_deletion, now)

    @property
    def is_external(self) -> bool:
        """Whether the key's material lives in an external key manager."""
        return self.protection_mode is ProtectionMode.EXTERNAL


class Origin(StrEnum):
    """Whether a key version's material was made here or imported."""

    INTERNAL = "INTERNAL"
    EXTERNAL = "EXTERNAL"


@dataclass
class KeyVersion:
    """One generation of a key's material; ``material`` is sealed by the provider."""

    id: str
    key_id: str
    tenancy_id: str
    compartment_id: str
    vault_id: str
    lifecycle_state: State
    origin: Origin
    time_created: datetime
    material: bytes = b""
    public_key_pem: str | None = None
    time_of_deletion: datetime | None = None
    version: int = 1
    # EXTERNAL keys: the key's external key id (as on the key), and on a version-aware EKM
    # (EKMS) the EKM's version this version uses.
    external_key_id: str | None = None
    external_key_version_id: str | None = None

    def state_at(self, now: datetime) -> State:
        """The state as seen at ``now`` (scheduled deletions take effect on time)."""
        return effective_state(self.lifecycle_state, self.time_of_deletion, now)
