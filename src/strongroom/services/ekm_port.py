"""The port to external key managers (implemented by strongroom.crypto.providers.ekm_client)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from strongroom.crypto.providers.ekm_client.connection import (
    EkmConnection,
    ExternalCiphertext,
    ExternalKeyInfo,
    VaultHealth,
)

__all__ = ["EkmSettings", "ExternalKeyManagerPort"]


class ExternalKeyManagerPort(Protocol):
    """Port: the EKMs of EXTERNAL vaults, reached over EKMS or XKS (async, pooled, bounded).

    Every call fails within ``conn.timeout_seconds`` with one of the errors of
    :mod:`strongroom.crypto.providers.ekm_client.errors` (translated by :mod:`.ekm`).
    """

    async def key_info(self, conn: EkmConnection, external_key_id: str) -> ExternalKeyInfo:
        """The external key's metadata as the EKM reports it."""
        ...

    async def encrypt(
        self,
        conn: EkmConnection,
        external_key_id: str,
        external_version_id: str | None,
        plaintext: bytes,
        aad: bytes,
        *,
        key_ref: str | None = None,
    ) -> ExternalCiphertext:
        """Encrypt under the external key (the given version, or the EKM's current one);
        ``key_ref`` names the Strongroom key in the EKM's logs (XKS kmsKeyArn)."""
        ...

    async def decrypt(
        self,
        conn: EkmConnection,
        external_key_id: str,
        external_version_id: str | None,
        blob: bytes,
        aad: bytes,
        *,
        key_ref: str | None = None,
    ) -> bytes:
        """Decrypt what :meth:`encrypt` returned, with the same ``aad``."""
        ...

    async def vault_health(self, conn: EkmConnection) -> VaultHealth:
        """Whether the EKM serves the vault now (never raises for an unreachable EKM)."""
        ...

    def circuit_open(self, conn: EkmConnection) -> bool:
        """Whether calls to ``conn``'s EKM are refused at once right now (its circuit breaker
        is open after repeated failures)."""
        ...

    async def aclose(self) -> None:
        """Close pooled connections."""
        ...


@dataclass(frozen=True)
class EkmSettings:
    """Server-wide settings of EKM connections."""

    ca_bundle_pem: str | None = None  # trusted instead of the system store when given
    timeout_seconds: float = 0.25  # budget of one EKM call
    health_interval: float = 30.0  # seconds between background health checks
