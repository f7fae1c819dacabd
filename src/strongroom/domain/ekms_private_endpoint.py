"""EKMS private endpoints: where an EXTERNAL vault's EKM is reached, and the CAs it is trusted by.

In OCI a private endpoint attaches the EKM's private IP address to a subnet. Strongroom has no
virtual networks: the endpoint names the address and port Strongroom dials for the EKM (the
vault's endpoint URL still gives the host name its TLS certificate is checked against, and the
Host header), and the CA bundle that alone is trusted for the EKM's certificate. Its address,
port and CA bundle cannot change (as in OCI), so a vault keeps a copy of them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime

from strongroom.domain.errors import InvalidParameter
from strongroom.domain.lifecycle import State
from strongroom.domain.tags import DefinedTags, FreeformTags, no_controls

__all__ = [
    "DEFAULT_PORT",
    "MAX_CA_BUNDLE",
    "EkmDial",
    "EkmsPrivateEndpoint",
    "require_ca_bundle_text",
    "require_ip",
    "require_port",
]

DEFAULT_PORT = 443
MAX_CA_BUNDLE = 64 * 1024


@dataclass(frozen=True)
class EkmDial:
    """How to reach an EKM through a private endpoint: its address, port and trusted CAs."""

    ip: str
    port: int
    ca_bundle_pem: str = field(repr=False)


@dataclass
class EkmsPrivateEndpoint:
    """A private endpoint as stored; ``version`` increases on every change (the etag)."""

    id: str
    tenancy_id: str
    compartment_id: str
    subnet_id: str
    display_name: str
    external_key_manager_ip: str
    port: int
    ca_bundle_pem: str = field(repr=False)
    lifecycle_state: State
    time_created: datetime
    time_updated: datetime
    freeform_tags: FreeformTags = field(default_factory=dict)
    defined_tags: DefinedTags = field(default_factory=dict)
    version: int = 1

    def dial(self) -> EkmDial:
        """What a vault using this endpoint keeps of it."""
        return EkmDial(self.external_key_manager_ip, self.port, self.ca_bundle_pem)


def require_ip(value: object, name: str) -> str:
    """An IPv4 or IPv6 address, in its canonical text form."""
    if not isinstance(value, str):
        raise InvalidParameter(f"{name} must be an IP address")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise InvalidParameter(f"{name} must be an IP address, not {value[:64]!r}") from None


def require_port(value: object, name: str) -> int:
    """A TCP port, 1-65535; :data:`DEFAULT_PORT` when not given."""
    if value is None:
        return DEFAULT_PORT
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise InvalidParameter(f"{name} must be a port number from 1 to 65535")
    return value


def require_ca_bundle_text(value: object, name: str) -> str:
    """PEM text of at most :data:`MAX_CA_BUNDLE` characters (its certificates are checked
    where certificates are parsed, in the EKM client's TLS module)."""
    if not isinstance(value, str) or "-----BEGIN CERTIFICATE-----" not in value:
        raise InvalidParameter(f"{name} must be one or more PEM certificates")
    if len(value) > MAX_CA_BUNDLE:
        raise InvalidParameter(f"{name} must be at most {MAX_CA_BUNDLE} characters")
    return no_controls(value, name, free_text=True)
