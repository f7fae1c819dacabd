"""Strongroom's client of external key managers (EKMs): the OCI EKMS vendor API and the AWS
XKS proxy API v1, pooled, time-bounded, with cached tokens and a circuit breaker per EKM."""

from strongroom.crypto.providers.ekm_client.connection import (
    EkmConnection,
    EkmProtocol,
    ExternalCiphertext,
    ExternalKeyInfo,
    VaultHealth,
    protocol_for,
)
from strongroom.crypto.providers.ekm_client.errors import (
    EkmAuthenticationFailed,
    EkmBadResponse,
    EkmError,
    EkmInvalidCiphertext,
    EkmKeyDisabled,
    EkmKeyNotFound,
    EkmTlsError,
    EkmUnavailable,
    EkmVaultBlocked,
)
from strongroom.crypto.providers.ekm_client.managers import ExternalKeyManagers

__all__ = [
    "EkmAuthenticationFailed",
    "EkmBadResponse",
    "EkmConnection",
    "EkmError",
    "EkmInvalidCiphertext",
    "EkmKeyDisabled",
    "EkmKeyNotFound",
    "EkmProtocol",
    "EkmTlsError",
    "EkmUnavailable",
    "EkmVaultBlocked",
    "ExternalCiphertext",
    "ExternalKeyInfo",
    "ExternalKeyManagers",
    "VaultHealth",
    "protocol_for",
]
