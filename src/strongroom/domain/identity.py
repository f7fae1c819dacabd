"""Identity records: tenancies, compartments, users, groups, API keys, and the calling principal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Tenancy:
    """The root of an identity domain; its OCID doubles as the root compartment's."""

    id: str
    name: str
    home_region: str
    time_created: datetime


@dataclass(frozen=True)
class User:
    """A human or service user that signs requests with API keys."""

    id: str
    tenancy_id: str
    name: str
    description: str
    lifecycle_state: str
    time_created: datetime


@dataclass(frozen=True)
class Group:
    """A named set of users; policies grant to groups."""

    id: str
    tenancy_id: str
    name: str
    description: str
    time_created: datetime


@dataclass(frozen=True)
class ApiKey:
    """A user's RSA public key used to verify request signatures."""

    user_id: str
    tenancy_id: str
    fingerprint: str
    public_key_pem: str
    lifecycle_state: str
    time_created: datetime


@dataclass(frozen=True)
class Principal:
    """Who is calling, as established by authentication; input to authorization."""

    tenancy_id: str
    user_id: str
    group_ids: frozenset[str] = field(default_factory=frozenset)
    group_names: frozenset[str] = field(default_factory=frozenset)
    principal_type: str = "user"

    @property
    def key(self) -> str:
        """A stable string naming this principal (for idempotency scoping and audit)."""
        return f"{self.tenancy_id}/{self.user_id}"
