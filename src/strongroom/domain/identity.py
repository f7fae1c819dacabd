"""Identity records: tenancies, compartments, users, groups, API keys, and the calling principal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

__all__ = [
    "ApiKey",
    "Application",
    "AuditEvent",
    "AuditQuery",
    "AuditRow",
    "Compartment",
    "CustomerSecretKey",
    "DynamicGroup",
    "Group",
    "Membership",
    "PolicyRecord",
    "Principal",
    "StatementBinding",
    "Tenancy",
    "User",
]


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
class CustomerSecretKey:
    """A user's access key (OCI's customer secret key): its id is the access key id that
    HMAC-signed requests name (the Alibaba API's AccessKeyId); the secret itself is not part of
    the record (stored sealed, shown once when the key is created)."""

    id: str
    tenancy_id: str
    user_id: str
    display_name: str
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
    dynamic_group_ids: frozenset[str] = field(default_factory=frozenset)
    dynamic_group_names: frozenset[str] = field(default_factory=frozenset)

    @property
    def key(self) -> str:
        """A stable string naming this principal (for idempotency scoping and audit)."""
        return f"{self.tenancy_id}/{self.user_id}"


@dataclass
class Compartment:
    """A node of the compartment tree below the tenancy (the tenancy is the root)."""

    id: str
    tenancy_id: str
    parent_id: str
    name: str
    description: str
    lifecycle_state: str
    time_created: datetime
    freeform_tags: dict[str, str] = field(default_factory=dict)
    defined_tags: dict[str, dict[str, object]] = field(default_factory=dict)
    version: int = 1


@dataclass
class DynamicGroup:
    """A group whose members are resources matched by ``matching_rule``."""

    id: str
    tenancy_id: str
    name: str
    description: str
    matching_rule: str
    lifecycle_state: str
    time_created: datetime
    version: int = 1


class StatementBinding(TypedDict):
    """A statement's names bound to OCIDs: ``subjects`` has one entry per subject (the OCID a
    ``group NAME`` / ``dynamic-group NAME`` was bound to, None for the others or for a name
    that did not resolve), ``compartment`` the OCID of a ``compartment A:B`` location (None for
    other locations or a path that did not resolve)."""

    subjects: list[str | None]
    compartment: str | None


@dataclass
class PolicyRecord:
    """A stored policy: statements in OCI policy syntax, attached to a compartment."""

    id: str
    tenancy_id: str
    compartment_id: str
    name: str
    description: str
    statements: list[str]
    lifecycle_state: str
    time_created: datetime
    version: int = 1
    # One per statement, the names it uses bound to OCIDs when it was written (see
    # services/identity/policy_binding.py); None for a policy stored before names were bound.
    bindings: list[StatementBinding] | None = None


@dataclass(frozen=True)
class Membership:
    """A user's membership in a group."""

    id: str
    tenancy_id: str
    group_id: str
    user_id: str
    time_created: datetime


@dataclass(frozen=True)
class Application:
    """An OAuth2 client credential of a user (a confidential application): it obtains signed
    tokens with the client-credentials grant for the audiences and scopes it was given."""

    id: str
    tenancy_id: str
    user_id: str
    name: str
    description: str
    secret_hash: str
    scopes: tuple[dict[str, str], ...]
    lifecycle_state: str
    time_created: datetime
    expires_on: datetime | None = None


@dataclass(frozen=True)
class AuditQuery:
    """Which stored audit events to read: a tenancy's in [start, end), up to ``limit + 1`` from
    ``offset`` on (the extra one tells there is a next page), of one compartment if given, in
    time order or newest first."""

    tenancy_id: str
    start: datetime
    end: datetime
    limit: int
    offset: int = 0
    compartment_id: str | None = None
    newest_first: bool = False


@dataclass(slots=True)
class AuditEvent:
    """One audited request: who, what, on which resource, the decision and the outcome."""

    id: str
    time: datetime
    tenancy_id: str | None
    principal_id: str | None
    principal_type: str | None
    operation: str
    resource_id: str | None
    compartment_id: str | None
    decision: str
    status: int
    request_id: str
    source: str | None
    reason: str | None = None  # why a request was refused before authorization (never secret)


# An AuditEvent's fields in declaration order: what the request path queues (a tuple is far
# cheaper to make than the dataclass, and the writer inserts it as it is).
AuditRow = tuple[
    str,
    datetime,
    str | None,
    str | None,
    str | None,
    str,
    str | None,
    str | None,
    str,
    int,
    str,
    str | None,
    str | None,
]
