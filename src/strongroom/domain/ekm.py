"""External key managers (EKMs) of EXTERNAL vaults: connection metadata, validation, health."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from strongroom.domain.ekms_private_endpoint import EkmDial
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.hosts import is_loopback
from strongroom.domain.tags import no_controls

__all__ = [
    "EXTERNAL_KEY_ID_MAX",
    "MAX_CLIENT_ID",
    "MAX_CLIENT_SECRET",
    "MAX_URL",
    "XKS_PATH_SUFFIX",
    "EkmHealth",
    "EkmHealthState",
    "EkmProtocolName",
    "ExternalKeyManager",
    "protocol_of",
    "require_endpoint_url",
    "require_external_id",
    "require_text",
    "secret_identity",
]

XKS_PATH_SUFFIX = "/kms/xks/v1"
MAX_URL = 1024
MAX_CLIENT_ID = 255
MAX_CLIENT_SECRET = 1024
EXTERNAL_KEY_ID_MAX = 255


class EkmProtocolName(StrEnum):
    """The EKM's wire protocol, chosen by the endpoint URL (see :func:`protocol_of`)."""

    EKMS = "EKMS"
    XKS = "XKS"


class EkmHealthState(StrEnum):
    """A vault's EKM connection as last checked; UNKNOWN until the first check."""

    UNKNOWN = "UNKNOWN"
    ACTIVE = "ACTIVE"
    BLOCKED = "BLOCKED"
    UNREACHABLE = "UNREACHABLE"


@dataclass(frozen=True)
class ExternalKeyManager:
    """How an EXTERNAL vault reaches its EKM.

    ``sealed_client_secret`` is the OAuth client secret (EKMS) or SigV4 secret access key
    (XKS) as sealed by the barrier for the vault's row; it is never returned by the API.
    ``dial`` is the private endpoint's address, port and CA bundle, when the vault was created
    with one (vaults of earlier releases may hold only ``private_endpoint_id``).
    """

    endpoint_url: str
    client_app_id: str
    sealed_client_secret: bytes = field(repr=False)
    idp_url: str | None = None
    private_endpoint_id: str | None = None
    dial: EkmDial | None = None

    @property
    def protocol(self) -> EkmProtocolName:
        return protocol_of(self.endpoint_url)


@dataclass(frozen=True)
class EkmHealth:
    """The result of the latest health check of a vault's EKM."""

    vault_id: str
    state: EkmHealthState
    detail: str
    time_checked: datetime | None


def protocol_of(endpoint_url: str) -> EkmProtocolName:
    """XKS when the URL's path ends with ``/kms/xks/v1``, otherwise the OCI EKMS vendor API."""
    path = urlsplit(endpoint_url).path.rstrip("/")
    return EkmProtocolName.XKS if path.endswith(XKS_PATH_SUFFIX) else EkmProtocolName.EKMS


def secret_identity(vault_id: str) -> str:
    """The barrier identity the client secret of ``vault_id`` is sealed for."""
    return f"vaults/{vault_id}/ekm_client_secret"


def require_endpoint_url(value: object, name: str) -> str:
    """An https URL (plain http only to this machine, for tests and development)."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        raise InvalidParameter(f"{name} must be a URL of at most {MAX_URL} characters")
    no_controls(value, name)
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise InvalidParameter(f"{name} is not a valid URL") from None
    if not host or parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidParameter(f"{name} must be https://host[:port]/path, without credentials")
    if parts.scheme == "https":
        return value
    if parts.scheme == "http" and is_loopback(host):
        return value
    raise InvalidParameter(f"{name} must use https (plain http is accepted only to loopback)")


def require_text(value: object, name: str, max_len: int) -> str:
    """A non-empty string of printable characters without spaces at the ends."""
    if (
        not isinstance(value, str)
        or not value
        or len(value) > max_len
        or value != value.strip()
        or not value.isprintable()
    ):
        raise InvalidParameter(f"{name} must be a non-empty string of at most {max_len} characters")
    return value


def require_external_id(value: object, name: str) -> str:
    """An EKM's id of a key or key version: non-empty, printable, no characters that would
    change the URL path it goes into."""
    found = require_text(value, name, EXTERNAL_KEY_ID_MAX)
    if any(c in found for c in "/?#% \\"):
        raise InvalidParameter(f"{name} must not contain '/', '?', '#', '%', '\\' or spaces")
    return found
