"""First start: a tenancy, its administrator, the Administrators group and an API key."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto.request_signing import fingerprint, load_api_public_key, public_pem
from strongroom.domain.identity import ApiKey, Group, Tenancy, User
from strongroom.domain.ids import new_ocid
from strongroom.services.ports import Deps

ADMINISTRATORS = "Administrators"


@dataclass(frozen=True)
class Bootstrapped:
    """What ``strongroom init`` writes into the OCI config file."""

    tenancy_id: str
    user_id: str
    fingerprint: str


def bootstrap_tenancy(deps: Deps, tenancy_name: str, admin_name: str, api_public_pem: str) -> Bootstrapped:
    """Create the tenancy and an administrator who can sign requests with ``api_public_pem``."""
    now = deps.clock.now()
    tenancy = Tenancy(new_ocid("tenancy", deps.region, deps.random_bytes), tenancy_name, deps.region, now)
    user = User(new_ocid("user", deps.region, deps.random_bytes), tenancy.id, admin_name,
                "Tenancy administrator created by strongroom init", "ACTIVE", now)
    group = Group(new_ocid("group", deps.region, deps.random_bytes), tenancy.id, ADMINISTRATORS,
                  "Administrators of the tenancy", now)
    public = load_api_public_key(api_public_pem)
    print_ = fingerprint(public)
    api_key = ApiKey(user.id, tenancy.id, print_, public_pem(public), "ACTIVE", now)
    with deps.db.transaction() as tx:
        tx.identity.add_tenancy(tenancy)
        tx.identity.add_user(user)
        tx.identity.add_group(group)
        tx.identity.add_membership(new_ocid("groupmembership", deps.region, deps.random_bytes), group, user)
        tx.identity.add_api_key(f"{tenancy.id}/{user.id}/{print_}", api_key)
    return Bootstrapped(tenancy.id, user.id, print_)
