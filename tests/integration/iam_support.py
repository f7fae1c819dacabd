"""Helpers for the IAM integration tests: the IdentityClient, users with their own API keys,
compartments, groups and policies with unique names (the server is shared by a worker's tests).

Policies made through :class:`Iam` are deleted when the test ends, so grants never leak into
other tests; every policy names a group of its own test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oci
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from oci.identity import IdentityClient
from oci.identity import models as im
from oci.key_management import KmsCryptoClient, KmsManagementClient, KmsVaultClient
from oci.key_management import models as m

from tests.helpers import b64d, b64e
from tests.integration import support
from tests.integration.support import NO_RETRY, Server


def identity_client(config: dict[str, Any], url: str) -> IdentityClient:
    return IdentityClient(config, service_endpoint=url, retry_strategy=NO_RETRY)


def unique(prefix: str) -> str:
    """A name no other test uses (names are unique per tenancy or per parent)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def write_private_key(directory: Path) -> tuple[Path, str]:
    """A fresh RSA-2048 key pair: the private key's PEM file and the public key's PEM."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = directory / f"{uuid.uuid4().hex}.pem"
    path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, public.decode("ascii")


@dataclass
class Person:
    """A user with one API key, and SDK clients that sign as that user."""

    user: im.User
    fingerprint: str
    key_file: Path
    config: dict[str, Any]
    url: str

    @property
    def id(self) -> str:
        return str(self.user.id)

    def identity(self) -> IdentityClient:
        return identity_client(self.config, self.url)

    def vaults(self) -> KmsVaultClient:
        return support.vault_client(self.config, self.url)

    def management(self, vault: m.Vault) -> KmsManagementClient:
        return support.management_client(self.config, vault)

    def crypto(self, vault: m.Vault) -> KmsCryptoClient:
        return support.crypto_client(self.config, vault)

    def signing_as(self, fingerprint: str, key_file: Path) -> Person:
        """The same user signing with another of its API keys."""
        config = dict(self.config, fingerprint=fingerprint, key_file=str(key_file))
        return Person(self.user, fingerprint, key_file, config, self.url)


class Iam:
    """The administrator's view of the tenancy for one test."""

    def __init__(self, server: Server, workdir: Path) -> None:
        self.server = server
        self.tenancy = server.tenancy
        self.workdir = workdir
        self.admin = identity_client(server.config, server.url)
        self.admin_vaults = support.vault_client(server.config, server.url)
        self._policies: list[str] = []

    # -- identity ----------------------------------------------------------------------------
    def compartment(self, parent: str | None = None, name: str | None = None) -> im.Compartment:
        details = im.CreateCompartmentDetails(
            compartment_id=parent or self.tenancy,
            name=name or unique("c"),
            description="made by a test",
        )
        compartment: im.Compartment = self.admin.create_compartment(details).data
        return compartment

    def compartments(self, *names: str) -> list[im.Compartment]:
        """A chain tenancy > names[0] > names[1] ...; the first name is made unique."""
        made: list[im.Compartment] = []
        parent = self.tenancy
        for depth, name in enumerate(names):
            made.append(self.compartment(parent, unique(name) if depth == 0 else name))
            parent = made[-1].id
        return made

    def group(self, name: str | None = None) -> im.Group:
        details = im.CreateGroupDetails(
            compartment_id=self.tenancy, name=name or unique("g"), description="test group"
        )
        group: im.Group = self.admin.create_group(details).data
        return group

    def add(self, person: Person, group: im.Group) -> im.UserGroupMembership:
        details = im.AddUserToGroupDetails(user_id=person.id, group_id=group.id)
        membership: im.UserGroupMembership = self.admin.add_user_to_group(details).data
        return membership

    def upload_key(self, user_id: str) -> tuple[str, Path]:
        """A new API key for ``user_id``: its fingerprint and private key file."""
        key_file, public_pem = write_private_key(self.workdir)
        key: im.ApiKey = self.admin.upload_api_key(
            user_id, im.CreateApiKeyDetails(key=public_pem)
        ).data
        return str(key.fingerprint), key_file

    def person(self, *groups: im.Group, name: str | None = None) -> Person:
        """A new user with its own API key, in ``groups``."""
        details = im.CreateUserDetails(
            compartment_id=self.tenancy, name=name or unique("u"), description="test user"
        )
        user: im.User = self.admin.create_user(details).data
        fingerprint, key_file = self.upload_key(user.id)
        config = dict(
            self.server.config, user=user.id, fingerprint=fingerprint, key_file=str(key_file)
        )
        person = Person(user, fingerprint, key_file, config, self.server.url)
        for group in groups:
            self.add(person, group)
        return person

    def member(self) -> tuple[im.Group, Person]:
        """A new group with one new member."""
        group = self.group()
        return group, self.person(group)

    def policy(self, *statements: str, compartment: str | None = None) -> im.Policy:
        """A policy that is deleted when the test ends."""
        details = im.CreatePolicyDetails(
            compartment_id=compartment or self.tenancy,
            name=unique("p"),
            description="test policy",
            statements=list(statements),
        )
        policy: im.Policy = self.admin.create_policy(details).data
        self._policies.append(policy.id)
        return policy

    def count_policies(self, compartment: str | None = None) -> int:
        found = self.admin.list_policies(compartment or self.tenancy, limit=1000).data
        return len(found)

    # -- vaults and keys as the administrator -----------------------------------------------
    def vault(self, compartment: str) -> m.Vault:
        return support.new_vault(self.admin_vaults, compartment, unique("v"))

    def key(self, vault: m.Vault, compartment: str | None = None) -> m.Key:
        kms = support.management_client(self.server.config, vault)
        return support.new_key(kms, compartment or vault.compartment_id, "AES", 32)

    def close(self) -> None:
        for policy_id in self._policies:
            with suppress(oci.exceptions.ServiceError):
                self.admin.delete_policy(policy_id)


@contextmanager
def iam_session(server: Server, workdir: Path) -> Iterator[Iam]:
    helper = Iam(server, workdir)
    try:
        yield helper
    finally:
        helper.close()


def encrypt(crypto: KmsCryptoClient, key: m.Key, plaintext: bytes = b"hello") -> str:
    """Encrypt as ``crypto``'s signer; returns the ciphertext."""
    details = m.EncryptDataDetails(key_id=key.id, plaintext=b64e(plaintext))
    return str(crypto.encrypt(details).data.ciphertext)


def decrypt(crypto: KmsCryptoClient, key: m.Key, ciphertext: str) -> bytes:
    details = m.DecryptDataDetails(key_id=key.id, ciphertext=ciphertext)
    return b64d(crypto.decrypt(details).data.plaintext)


def refused(call: Any, *args: Any, **kwargs: Any) -> oci.exceptions.ServiceError:
    """An SDK call the caller may not make: 404 NotAuthorizedOrNotFound, like a missing thing."""
    return support.service_error(call, *args, status=404, code="NotAuthorizedOrNotFound", **kwargs)


def unauthenticated(call: Any, *args: Any, **kwargs: Any) -> oci.exceptions.ServiceError:
    return support.service_error(call, *args, status=401, code="NotAuthenticated", **kwargs)


def invalid(call: Any, *args: Any, **kwargs: Any) -> oci.exceptions.ServiceError:
    return support.service_error(call, *args, status=400, code="InvalidParameter", **kwargs)
