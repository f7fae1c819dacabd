"""Helpers and fixtures for the secrets tests: VaultsClient, SecretsClient, a vault and keys.

The fixtures are in :mod:`tests.integration.secret_fixtures`; test modules load them with
``pytest_plugins = ["tests.integration.secret_fixtures"]``.
Secret names are unique per vault, so every secret a test makes gets a fresh name.
"""

from __future__ import annotations

import uuid
from typing import Any

import oci
from oci.key_management import models as m
from oci.secrets import SecretsClient
from oci.vault import VaultsClient
from oci.vault import models as vm

from tests.helpers import b64d, b64e
from tests.integration import support
from tests.integration.support import NO_RETRY


def vaults_client(config: dict[str, Any], url: str) -> VaultsClient:
    return VaultsClient(config, service_endpoint=url, retry_strategy=NO_RETRY)


def secrets_client(config: dict[str, Any], url: str) -> SecretsClient:
    return SecretsClient(config, service_endpoint=url, retry_strategy=NO_RETRY)


def unique_name(prefix: str = "s") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def content(data: bytes, name: str | None = None, stage: str | None = None) -> Any:
    return vm.Base64SecretContentDetails(
        content_type="BASE64", content=b64e(data), name=name, stage=stage
    )


def create(
    client: VaultsClient,
    vault: m.Vault,
    key: m.Key,
    data: bytes | None = b"v1",
    *,
    name: str | None = None,
    compartment: str | None = None,
    **extra: Any,
) -> vm.Secret:
    """CreateSecret in ``vault`` under ``key`` with ``data`` (or generated content)."""
    details = vm.CreateSecretDetails(
        compartment_id=compartment or vault.compartment_id,
        vault_id=vault.id,
        key_id=key.id,
        secret_name=unique_name() if name is None else name,
        secret_content=content(data) if data is not None else None,
        **extra,
    )
    made: vm.Secret = client.create_secret(details).data
    return made


def update(client: VaultsClient, secret_id: str, **fields: Any) -> vm.Secret:
    updated: vm.Secret = client.update_secret(secret_id, vm.UpdateSecretDetails(**fields)).data
    return updated


def new_version(
    client: VaultsClient,
    secret_id: str,
    data: bytes,
    stage: str | None = None,
    name: str | None = None,
) -> vm.Secret:
    """UpdateSecret with new content: a new version."""
    return update(client, secret_id, secret_content=content(data, name=name, stage=stage))


def read(client: SecretsClient, secret_id: str, **query: Any) -> bytes:
    """The content of a secret bundle (CURRENT unless ``query`` names another version)."""
    bundle = client.get_secret_bundle(secret_id, **query).data
    return b64d(bundle.secret_bundle_content.content)


def versions(client: VaultsClient, secret_id: str) -> dict[int, list[str]]:
    """Version number -> stages, for every version."""
    found = client.list_secret_versions(secret_id, limit=1000).data
    return {v.version_number: sorted(v.stages) for v in found}


def error(call: Any, *args: Any, status: int, code: str | None = None, **kwargs: Any) -> str:
    """An SDK call that fails with ``status``; returns the message."""
    failure: oci.exceptions.ServiceError = support.service_error(
        call, *args, status=status, code=code, **kwargs
    )
    return str(failure.message)
