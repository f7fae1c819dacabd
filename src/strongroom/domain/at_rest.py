"""Encryption at rest: master keys, KMIP key servers and providers, and the rekey's progress.

The master key wraps the keyring (see :mod:`strongroom.barrier`); it is internal (a file in
the data directory) or external (an AES-256 key on a KMIP key server of a key provider).
A rekey always makes a new master key, rewraps the keyring under it, then decommissions the
old one; :class:`RekeyStep` names those steps as Element reports them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from strongroom.domain.errors import Conflict, IncorrectState, ServiceUnavailable

__all__ = [
    "REKEY_RESULT_TYPE",
    "AsyncResult",
    "KeyProvider",
    "KeyServer",
    "KmipFailure",
    "ManagementType",
    "MasterKeyRecord",
    "MasterKeyState",
    "RekeyInProgress",
    "RekeyStep",
    "Sealed",
    "master_key_uuid",
]

REKEY_RESULT_TYPE = "RekeyMasterKey"  # the async result type of a master key rekey
_LEGACY_NAMESPACE = uuid.UUID("6f1c9a52-3d0e-4a59-9c8a-5b7f3e2d1a40")


class ManagementType(StrEnum):
    """Who holds the master key: Strongroom (a file) or a KMIP key server."""

    INTERNAL = "internal"
    EXTERNAL = "external"


class MasterKeyState(StrEnum):
    """A master key's life: made by a rekey, current, being retired, gone."""

    PENDING = "pending"  # made by a running rekey; nothing is wrapped under it yet
    ACTIVE = "active"  # wraps the keyring
    DECOMMISSIONING = "decommissioning"  # replaced; to be destroyed where it lives
    DESTROYED = "destroyed"  # revoked and destroyed (or its file removed)
    ABANDONED = "abandoned"  # made by a rekey that rolled back, then destroyed


class RekeyStep(StrEnum):
    """The rekey's ``state`` as Element reports it."""

    CREATE_NEW_MASTER_KEY = "CreateNewMasterKey"
    REWRAP_DATA_ENCRYPTION_KEYS = "RewrapDataEncryptionKeys"
    DECOMMISSION_OLD_MASTER_KEY = "DecommissionOldMasterKey"
    READY = "Ready"


@dataclass(frozen=True)
class KeyProvider:
    """A KMIP key provider: a name and (at most) one key server holding the master key."""

    id: int
    name: str
    time_created: datetime


@dataclass(frozen=True)
class KeyServer:
    """A KMIP key server: where to connect (host names tried in turn) and which certificates
    to use: the CA that signed the server's certificate, and Strongroom's client certificate
    (signed from Strongroom's own CSR). Nothing here is secret."""

    id: int
    name: str
    hostnames: tuple[str, ...]
    port: int
    ca_certificate: str
    client_certificate: str
    provider_id: int | None
    time_created: datetime


@dataclass(frozen=True)
class MasterKeyRecord:
    """A master key Strongroom made: its UUID, who holds it and, on a KMIP server, its
    unique identifier there."""

    key_id: str
    management_type: ManagementType
    provider_id: int | None
    kmip_uid: str | None
    state: MasterKeyState
    time_created: datetime


@dataclass(frozen=True)
class AsyncResult:
    """An Element asynchronous result: ``details`` holds what the work needs to resume after
    a crash; ``result`` or ``error`` holds the outcome once ``status`` is complete."""

    id: int
    result_type: str
    status: str
    details: dict[str, object]
    result: dict[str, object] | None
    error: dict[str, object] | None
    time_created: datetime
    time_updated: datetime


class Sealed(ServiceUnavailable):
    """The keyring is not loaded: the master key cannot be reached (the reason says why)."""


class RekeyInProgress(Conflict):
    """A rekey of the master key is already running."""


class KmipFailure(IncorrectState):
    """A KMIP key server could not be used; ``stage`` is where it failed: ``dns``, ``tcp``,
    ``tls``, ``kmip`` or ``config`` (the message says what failed, never key material)."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage


def master_key_uuid(key_id: str) -> str:
    """The UUID Element shows for a master key id (data directories made before master key
    ids were UUIDs named theirs ``internal-<hex>``: those map to a fixed UUID of that name)."""
    try:
        return str(uuid.UUID(key_id))
    except ValueError:
        return str(uuid.uuid5(_LEGACY_NAMESPACE, key_id))
