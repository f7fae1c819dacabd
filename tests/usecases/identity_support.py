"""Builders for the identity use-case tests: users, groups, grants and API keys made through
the services, as the administrator would make them."""

from __future__ import annotations

import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from strongroom.domain.identity import Group, PolicyRecord, User
from strongroom.services.context import Call
from strongroom.services.identity import groups, memberships, policies, users
from strongroom.services.ports import Deps
from tests.usecases.support import call_as, principal_of

__all__ = ["api_key_pem", "call_of", "grant", "new_group", "new_user", "unique"]


def unique(prefix: str) -> str:
    """A name no other test of the module uses (they share one database)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def new_user(deps: Deps, admin_call: Call) -> User:
    """An ACTIVE user in no group."""
    return users.create_user(deps, admin_call, users.CreateUserRequest(unique("user")))


def new_group(deps: Deps, admin_call: Call, *members: User) -> Group:
    """A group holding ``members``."""
    group = groups.create_group(deps, admin_call, groups.CreateGroupRequest(unique("group")))
    for member in members:
        request = memberships.AddUserToGroupRequest(member.id, group.id)
        memberships.add_user_to_group(deps, admin_call, request)
    return group


def grant(deps: Deps, admin_call: Call, *statements: str) -> PolicyRecord:
    """A tenancy policy of ``statements``."""
    request = policies.CreatePolicyRequest(
        admin_call.principal.tenancy_id, unique("policy"), list(statements)
    )
    return policies.create_policy(deps, admin_call, request)


def call_of(deps: Deps, user: User) -> Call:
    """A call by ``user`` with the groups it has now."""
    return call_as(principal_of(deps, user.id))


def api_key_pem() -> str:
    """A fresh RSA public key in PEM, as UploadApiKey takes it."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
