"""Integration fixtures: one real Strongroom server per xdist worker, reached by the SDK; and
the storage contract's databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from oci.key_management import KmsCryptoClient, KmsManagementClient, KmsVaultClient
from oci.key_management import models as m
from sqlalchemy import Engine

from strongroom.storage.unit_of_work import Database
from tests.clock import ManualClock
from tests.integration import storage_support, support
from tests.integration.support import Raw, Server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server on a free port with a manual lifecycle clock (per worker under xdist).

    Request signatures are checked against the wall clock, lifecycle against the manual one,
    so advancing the manual clock by weeks leaves SDK signatures valid.
    """
    data_dir = tmp_path_factory.mktemp("strongroom") / "data"
    with support.running_server(data_dir, ManualClock()) as running:
        yield running


@pytest.fixture
def clock(server: Server) -> ManualClock:
    """The server's lifecycle clock; it only moves forward, so compute times from ``now()``."""
    return server.clock


@pytest.fixture(scope="session")
def oci_config(server: Server) -> dict[str, Any]:
    return server.config


@pytest.fixture(scope="session")
def tenancy(server: Server) -> str:
    return server.tenancy


@pytest.fixture(scope="session")
def vault_client(server: Server) -> KmsVaultClient:
    return support.vault_client(server.config, server.url)


@pytest.fixture
def raw(server: Server) -> Raw:
    return Raw(server)


@pytest.fixture
def vault(vault_client: KmsVaultClient, tenancy: str) -> m.Vault:
    """A fresh ACTIVE DEFAULT vault for one test."""
    return support.new_vault(vault_client, tenancy, f"vault-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def kms(oci_config: dict[str, Any], vault: m.Vault) -> KmsManagementClient:
    """Management client for the test's vault."""
    return support.management_client(oci_config, vault)


@pytest.fixture
def crypto(oci_config: dict[str, Any], vault: m.Vault) -> KmsCryptoClient:
    """Crypto client for the test's vault."""
    return support.crypto_client(oci_config, vault)


@pytest.fixture
def aes_key(kms: KmsManagementClient, tenancy: str) -> m.Key:
    return support.new_key(kms, tenancy, "AES", 32)


@pytest.fixture
def rsa_key(kms: KmsManagementClient, tenancy: str) -> m.Key:
    return support.new_key(kms, tenancy, "RSA", 256)


@pytest.fixture
def ecdsa_key(kms: KmsManagementClient, tenancy: str) -> m.Key:
    return support.new_key(kms, tenancy, "ECDSA", 32, "NIST_P256")


# Read-only tests share one vault and a few keys per worker, which keeps the suite fast.


@pytest.fixture(scope="session")
def shared_vault(vault_client: KmsVaultClient, tenancy: str) -> m.Vault:
    return support.new_vault(vault_client, tenancy, "shared")


@pytest.fixture(scope="session")
def shared_kms(oci_config: dict[str, Any], shared_vault: m.Vault) -> KmsManagementClient:
    return support.management_client(oci_config, shared_vault)


@pytest.fixture(scope="session")
def shared_crypto(oci_config: dict[str, Any], shared_vault: m.Vault) -> KmsCryptoClient:
    return support.crypto_client(oci_config, shared_vault)


@pytest.fixture(scope="session")
def shared_keys(shared_kms: KmsManagementClient, tenancy: str) -> dict[str, m.Key]:
    """Keys nobody disables, rotates or deletes: use them only for stateless crypto."""
    shapes = {
        "aes": ("AES", 32, None),
        "rsa2048": ("RSA", 256, None),
        "rsa3072": ("RSA", 384, None),
        "p256": ("ECDSA", 32, "NIST_P256"),
        "p384": ("ECDSA", 48, "NIST_P384"),
        "p521": ("ECDSA", 66, "NIST_P521"),
    }
    return {
        name: support.new_key(shared_kms, tenancy, alg, length, curve)
        for name, (alg, length, curve) in shapes.items()
    }


# --- the storage contract's backends (see storage_support) ------------------------------------


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A freshly migrated database of each kind, shared by the tests of one module."""
    yield from storage_support.backend_engine(request.param, tmp_path_factory)


@pytest.fixture
def db(engine: Engine) -> Database:
    return Database(engine)
