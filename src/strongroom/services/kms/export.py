"""ExportKey: key material wrapped under the caller's RSA public key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from strongroom.crypto import wrapping
from strongroom.services.context import Call
from strongroom.services.kms.key_use import use_key
from strongroom.services.ports import Deps


@dataclass(frozen=True)
class Exported:
    """Result of ExportKey."""

    key_id: str
    key_version_id: str
    vault_id: str
    time_created: datetime
    encrypted_key: bytes
    algorithm: str


def export_key(
    deps: Deps,
    call: Call,
    vault_id: str,
    key_id: str,
    version_id: str | None,
    algorithm: str,
    public_key_pem: str,
) -> Exported:
    """Wrap the current (or named) version's material for the caller."""
    usable = use_key(deps, call, vault_id, key_id, version_id, "ExportKey")
    wrapped = wrapping.wrap(usable.material, algorithm, public_key_pem)
    version = usable.version
    return Exported(key_id, version.id, version.vault_id, version.time_created, wrapped, algorithm)
