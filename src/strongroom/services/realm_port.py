"""Ports of the realm: this region's place in it, and calls to other regions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from strongroom.domain.errors import ServiceUnavailable, StrongroomError

__all__ = [
    "HOME",
    "MEMBER",
    "PeerRefused",
    "PeerUnreachable",
    "RealmConfig",
    "RealmPeers",
    "ShipperNudge",
    "SigningKey",
]

HOME = "home"
MEMBER = "member"


@dataclass(frozen=True)
class RealmConfig:
    """Which region this process serves and its role: the home region owns identity; a
    member region receives it and forwards identity writes to ``home``."""

    region: str = ""
    role: str = HOME
    home: str = ""
    tenancy: str = ""  # the realm's tenancy (what its audit events are filed under)
    # The administrator ``init`` made in the home region (ids and public key only): a region
    # that joins records it as its own.
    admin: dict[str, Any] | None = None

    @property
    def is_home(self) -> bool:
        return self.role == HOME


@dataclass(frozen=True)
class SigningKey:
    """This region's credential for calls to other regions (``key_id`` names the region and
    the key's fingerprint; the private key is PEM, held in memory only)."""

    key_id: str
    private_pem: bytes


class PeerUnreachable(ServiceUnavailable):
    """Another region could not be reached (connection refused, timeout, TLS)."""


class PeerRefused(StrongroomError):
    """Another region answered the call with an error (its status, code and message)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ShipperNudge(Protocol):
    """Port: tell the shipper a region just called (it is up: retry it now, not after its
    back-off)."""

    def nudge(self, region: str) -> None:
        """Ship to ``region`` at once."""
        ...


class RealmPeers(Protocol):
    """Port: signed calls to other regions' realm endpoints."""

    def post(
        self,
        url: str,
        path: str,
        payload: dict[str, Any],
        key: SigningKey | None,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """POST ``payload`` (JSON) to ``url`` + ``path``, signed with ``key`` (None: unsigned,
        the join call only); the JSON answer, or PeerUnreachable / PeerRefused."""
        ...
