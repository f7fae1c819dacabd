"""Element's EnableEncryptionAtRest, GetEncryptionAtRestInfo and DisableEncryptionAtRest.

Everything Strongroom stores is always encrypted under its master key: enabling is a no-op,
the state is always ``enabled``, and disabling is refused."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.errors import IncorrectState
from strongroom.services.at_rest.key_providers import require_provider
from strongroom.services.context import Call
from strongroom.services.ports import Deps

__all__ = [
    "ENABLED",
    "DisableEncryptionAtRestRequest",
    "EnableEncryptionAtRestRequest",
    "GetEncryptionAtRestInfoRequest",
    "disable_encryption_at_rest",
    "enable_encryption_at_rest",
    "get_encryption_at_rest_info",
]

ENABLED = "enabled"


@dataclass(frozen=True)
class EnableEncryptionAtRestRequest:
    """Enable encryption at rest (``provider_id``, when given, must name a provider; moving
    the master key to it is RekeySoftwareEncryptionAtRestMasterKey's work)."""

    provider_id: int | None = None


@dataclass(frozen=True)
class GetEncryptionAtRestInfoRequest:
    """Read the encryption-at-rest state."""


@dataclass(frozen=True)
class DisableEncryptionAtRestRequest:
    """Disable encryption at rest (always refused)."""


def enable_encryption_at_rest(
    deps: Deps, call: Call, request: EnableEncryptionAtRestRequest
) -> None:
    """Nothing to do: encryption at rest is always on."""
    if request.provider_id is not None:
        with deps.db.transaction(read_only=True) as tx:
            require_provider(tx, request.provider_id)


def get_encryption_at_rest_info(
    deps: Deps, call: Call, request: GetEncryptionAtRestInfoRequest
) -> str:
    """The state: always ``enabled``."""
    return ENABLED


def disable_encryption_at_rest(
    deps: Deps, call: Call, request: DisableEncryptionAtRestRequest
) -> None:
    """Refused: everything Strongroom stores is always encrypted."""
    raise IncorrectState(
        "Encryption at rest cannot be disabled: everything Strongroom stores is always "
        "encrypted under its master key"
    )
