"""First start: a tenancy, its administrator, the Administrators group and an API key."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto.request_signing import fingerprint, load_api_public_key, public_pem
from strongroom.domain.identity import (
    ApiKey,
    Group,
    PolicyRecord,
    StatementBinding,
    Tenancy,
    User,
)
from strongroom.domain.ids import new_ocid
from strongroom.services.ports import Deps

__all__ = [
    "ADMINISTRATORS",
    "ADMIN_STATEMENT",
    "TENANT_ADMIN_POLICY",
    "AdminIdentity",
    "ensure_tenancy",
    "new_admin_identity",
]

ADMINISTRATORS = "Administrators"
TENANT_ADMIN_POLICY = "Tenant Admin Policy"
ADMIN_STATEMENT = "Allow group Administrators to manage all-resources in tenancy"


@dataclass(frozen=True)
class AdminIdentity:
    """The tenancy and administrator ``strongroom init`` made; kept in the data directory so a
    fresh database (for example PostgreSQL) can be seeded with the same identity."""

    tenancy_id: str
    tenancy_name: str
    user_id: str
    user_name: str
    group_id: str
    api_public_pem: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(load_api_public_key(self.api_public_pem))


def new_admin_identity(
    deps: Deps, tenancy_name: str, user_name: str, api_public_pem: str
) -> AdminIdentity:
    """Fresh ids for a new tenancy and its administrator."""
    return AdminIdentity(
        tenancy_id=new_ocid("tenancy", deps.region, deps.random_bytes),
        tenancy_name=tenancy_name,
        user_id=new_ocid("user", deps.region, deps.random_bytes),
        user_name=user_name,
        group_id=new_ocid("group", deps.region, deps.random_bytes),
        api_public_pem=api_public_pem,
    )


def ensure_tenancy(deps: Deps, admin: AdminIdentity) -> bool:
    """Create the tenancy and administrator unless the database has them; True if created."""
    now = deps.clock.now()
    public = load_api_public_key(admin.api_public_pem)
    print_ = fingerprint(public)
    tenancy = Tenancy(admin.tenancy_id, admin.tenancy_name, deps.region, now)
    user = User(
        admin.user_id,
        tenancy.id,
        admin.user_name,
        "Tenancy administrator created by strongroom init",
        "ACTIVE",
        now,
    )
    group = Group(admin.group_id, tenancy.id, ADMINISTRATORS, "Administrators of the tenancy", now)
    api_key = ApiKey(user.id, tenancy.id, print_, public_pem(public), "ACTIVE", now)
    with deps.db.transaction() as tx:
        if tx.identity.get_tenancy(tenancy.id) is not None:
            return False
        tx.identity.add_tenancy(tenancy)
        tx.identity.add_user(user)
        tx.identity.add_group(group)
        tx.identity.add_membership(
            new_ocid("groupmembership", deps.region, deps.random_bytes), group, user
        )
        tx.identity.add_api_key(f"{tenancy.id}/{user.id}/{print_}", api_key)
        tx.iam.add_policy(
            PolicyRecord(
                new_ocid("policy", deps.region, deps.random_bytes),
                tenancy.id,
                tenancy.id,
                TENANT_ADMIN_POLICY,
                "Administrators manage everything in the tenancy",
                [ADMIN_STATEMENT],
                "ACTIVE",
                now,
                bindings=[StatementBinding(subjects=[group.id], compartment=None)],
            )
        )
    return True
