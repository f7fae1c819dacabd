"""Data objects of the EKM client: the protocol, a vault's connection, and what calls return."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit

XKS_PATH_SUFFIX = "/kms/xks/v1"


class EkmProtocol(StrEnum):
    """The wire protocol an EKM speaks: the OCI EKMS vendor API or the AWS XKS proxy API v1."""

    EKMS = "EKMS"
    XKS = "XKS"


def protocol_for(endpoint_url: str) -> EkmProtocol:
    """XKS when the endpoint's path ends with ``/kms/xks/v1``, otherwise EKMS."""
    path = urlsplit(endpoint_url).path.rstrip("/")
    return EkmProtocol.XKS if path.endswith(XKS_PATH_SUFFIX) else EkmProtocol.EKMS


@dataclass(frozen=True)
class EkmConnection:
    """How to reach one EXTERNAL vault's EKM and authenticate to it.

    ``client_id``/``client_secret`` are the OAuth2 client (EKMS) or the SigV4 access key id
    and secret access key (XKS). The secret never appears in ``repr``. ``ca_bundle_pem``, when
    given, is the only set of CAs trusted for the EKM's certificate. ``timeout_seconds`` is the
    whole budget of one call, a token fetch and a retry included. ``dial`` is the (IP address,
    port) to connect to instead of the URL's host and port (an EKMS private endpoint); the
    URL's host is still the name the EKM's certificate must carry, and the Host header.
    """

    vault_id: str
    endpoint_url: str
    protocol: EkmProtocol
    client_id: str
    client_secret: str = field(repr=False)
    idp_url: str | None = None
    region: str = "us-ashburn-1"
    ca_bundle_pem: str | None = None
    timeout_seconds: float = 0.25
    dial: tuple[str, int] | None = None
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        # Every EKM call looks its route up by connection: hash the fields once, not per call.
        compared = tuple(getattr(self, f.name) for f in fields(self) if f.compare)
        object.__setattr__(self, "_hash", hash(compared))

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True)
class ExternalKeyInfo:
    """An external key as the EKM reports it (``current_version_id`` is None for XKS)."""

    key_id: str
    enabled: bool
    current_version_id: str | None
    algorithm: str
    length_bytes: int


@dataclass(frozen=True)
class ExternalCiphertext:
    """What an EKM encrypt produced: the version it used (None for XKS) and ``blob``, the
    protocol's output serialized by this package, which :meth:`decrypt` takes back."""

    external_version_id: str | None
    blob: bytes


HealthState = Literal["ACTIVE", "BLOCKED", "UNREACHABLE"]


@dataclass(frozen=True)
class VaultHealth:
    """The EKM's state for one vault: ACTIVE, BLOCKED (refused by the EKM) or UNREACHABLE,
    with ``detail`` saying why, as checked at ``checked_at``."""

    state: HealthState
    detail: str
    checked_at: datetime
