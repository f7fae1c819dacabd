"""ExportKey: key material wrapped under the caller's RSA public key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from strongroom.crypto import wrapping
from strongroom.services.context import Call
from strongroom.services.kms.key_use import use_key
from strongroom.services.ports import Deps

__all__ = ["ExportKeyRequest", "Exported", "export_key"]


@dataclass(frozen=True, kw_only=True)
class ExportKeyRequest:
    """Input of ExportKey: the version's material wrapped by ``algorithm`` under ``public_key``."""

    vault_id: str
    key_id: str
    key_version_id: str | None = None
    algorithm: str
    public_key: str


@dataclass(frozen=True)
class Exported:
    """Result of ExportKey."""

    key_id: str
    key_version_id: str
    vault_id: str
    time_created: datetime
    encrypted_key: bytes
    algorithm: str


def export_key(deps: Deps, call: Call, request: ExportKeyRequest) -> Exported:
    """Wrap the current (or named) version's material for the caller."""
    usable = use_key(
        deps, call, request.vault_id, request.key_id, request.key_version_id, "ExportKey"
    )
    wrapped = wrapping.wrap(usable.material, request.algorithm, request.public_key)
    version = usable.version
    return Exported(
        request.key_id,
        version.id,
        version.vault_id,
        version.time_created,
        wrapped,
        request.algorithm,
    )
