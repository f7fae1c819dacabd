"""Fixtures of the secrets tests (loaded by ``pytest_plugins``, never imported directly)."""

from __future__ import annotations

from typing import Any

import pytest
from oci.key_management import KmsManagementClient, KmsVaultClient
from oci.key_management import models as m
from oci.secrets import SecretsClient
from oci.vault import VaultsClient
from oci.vault import models as vm

from tests.integration import support
from tests.integration.secret_support import create, secrets_client, vaults_client
from tests.integration.support import Server


@pytest.fixture(scope="session")
def vaults(server: Server) -> VaultsClient:
    """The administrator's VaultsClient (secret management)."""
    return vaults_client(server.config, server.url)


@pytest.fixture(scope="session")
def bundles(server: Server) -> SecretsClient:
    """The administrator's SecretsClient (secret retrieval)."""
    return secrets_client(server.config, server.url)


@pytest.fixture(scope="session")
def secret_vault(vault_client: KmsVaultClient, tenancy: str) -> m.Vault:
    """One vault per worker for secrets whose key nobody disables."""
    return support.new_vault(vault_client, tenancy, "secrets")


@pytest.fixture(scope="session")
def secret_kms(oci_config: dict[str, Any], secret_vault: m.Vault) -> KmsManagementClient:
    return support.management_client(oci_config, secret_vault)


@pytest.fixture(scope="session")
def secret_key(secret_kms: KmsManagementClient, tenancy: str) -> m.Key:
    """An AES key of ``secret_vault`` that stays ENABLED."""
    return support.new_key(secret_kms, tenancy, "AES", 32)


@pytest.fixture
def secret(vaults: VaultsClient, secret_vault: m.Vault, secret_key: m.Key) -> vm.Secret:
    """A fresh secret whose content is b"v1"."""
    return create(vaults, secret_vault, secret_key, b"v1")
