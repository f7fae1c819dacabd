"""EXTERNAL vaults through the oci SDK, against a real strongroom-ekm: metadata in, the client
secret never out, EKM health checked and shown (BLOCKED when the EKM's administrator blocks the
vault), bad metadata refused."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from oci.key_management import KmsVaultClient
from oci.key_management import models as m

from tests.clock import ManualClock
from tests.ekm_support import EkmProxy, running_proxy
from tests.helpers import free_port
from tests.integration import support
from tests.integration.external_support import (
    TEST_TIMEOUT,
    EkmsClient,
    decrypt,
    ekm_settings,
    ekms_client,
    ekms_metadata,
    encrypt,
    external_key,
    external_vault,
    found_in_storage,
    trust_strongroom_tokens,
    xks_metadata,
)
from tests.integration.support import Raw, Server


@pytest.fixture(scope="module")
def proxy(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EkmProxy]:
    with (
        ekm_settings(server, timeout_seconds=TEST_TIMEOUT),
        running_proxy(tmp_path_factory.mktemp("ekm-vaults"), "software", keys=1) as running,
    ):
        trust_strongroom_tokens(server, running)
        yield running


@pytest.fixture(scope="module")
def client(server: Server, proxy: EkmProxy) -> EkmsClient:
    return ekms_client(server, proxy.vault_url)


def _raw_vault(raw: Raw, vault_id: str) -> dict[str, object]:
    response = raw.get(f"{raw.vaults_path()}/{vault_id}")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_ekms_vault_keeps_its_secret(
    server: Server,
    vault_client: KmsVaultClient,
    raw: Raw,
    proxy: EkmProxy,
    client: EkmsClient,
) -> None:
    vault = external_vault(vault_client, server.tenancy, ekms_metadata(server, proxy, client))
    assert vault.vault_type == "EXTERNAL"
    assert vault.lifecycle_state == "ACTIVE"
    summary = vault.external_key_manager_metadata_summary
    assert summary.external_vault_endpoint_url == proxy.vault_url
    assert summary.oauth_metadata_summary.client_app_id == client.client_id
    assert summary.oauth_metadata_summary.idcs_account_name_url == server.url
    assert summary.private_endpoint_id is None

    got = vault_client.get_vault(vault.id).data
    assert got.external_key_manager_metadata_summary == summary
    listed = vault_client.list_vaults(server.tenancy, limit=1000).data
    (mine,) = [v for v in listed if v.id == vault.id]
    assert mine.external_key_manager_metadata_summary == summary

    body = _raw_vault(raw, vault.id)
    health = body["externalKeyManagerHealth"]
    assert isinstance(health, dict)
    assert health["state"] == "ACTIVE", health
    assert health["protocol"] == "EKMS"
    assert health["timeChecked"]
    for response in (
        raw.get(f"{raw.vaults_path()}/{vault.id}"),
        raw.get(raw.vaults_path(), params={"compartmentId": server.tenancy, "limit": 1000}),
    ):
        assert client.secret not in response.text
        assert "clientAppSecret" not in response.text
    assert found_in_storage(server, [client.secret.encode()]) == [False]  # sealed


def test_xks_vault_is_chosen_by_its_path(
    server: Server, vault_client: KmsVaultClient, raw: Raw, proxy: EkmProxy
) -> None:
    vault = external_vault(vault_client, server.tenancy, xks_metadata(proxy))
    assert vault.external_key_manager_metadata_summary.external_vault_endpoint_url.endswith(
        "/kms/xks/v1"
    )
    health = _raw_vault(raw, vault.id)["externalKeyManagerHealth"]
    assert isinstance(health, dict)
    assert health["protocol"] == "XKS"
    assert health["state"] == "ACTIVE", health
    assert proxy.secret_access_key not in raw.get(f"{raw.vaults_path()}/{vault.id}").text


def test_health_follows_the_ekm(
    server: Server,
    vault_client: KmsVaultClient,
    raw: Raw,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    with (
        ekm_settings(server, timeout_seconds=TEST_TIMEOUT),
        running_proxy(tmp_path, "software", keys=1) as own,
    ):
        vault = external_vault(vault_client, server.tenancy, xks_metadata(own))
        first = _raw_vault(raw, vault.id)["externalKeyManagerHealth"]
        assert isinstance(first, dict) and first["state"] == "ACTIVE"
        own.stop()
        # Fresh health is shown as it is; once stale, GetVault checks again.
        assert _raw_vault(raw, vault.id)["externalKeyManagerHealth"] == first
        clock.advance(timedelta(minutes=1))
        down = _raw_vault(raw, vault.id)["externalKeyManagerHealth"]
        assert isinstance(down, dict)
        assert down["state"] == "UNREACHABLE", down
        assert down["detail"]
        own.start()
        clock.advance(timedelta(minutes=1))
        up = _raw_vault(raw, vault.id)["externalKeyManagerHealth"]
        assert isinstance(up, dict) and up["state"] == "ACTIVE", up


def test_a_vault_blocked_in_the_ekm(
    server: Server, vault_client: KmsVaultClient, raw: Raw, clock: ManualClock, tmp_path: Path
) -> None:
    with (
        ekm_settings(server, timeout_seconds=TEST_TIMEOUT),
        running_proxy(tmp_path, "software", keys=1) as own,
    ):
        trust_strongroom_tokens(server, own)
        metadata = ekms_metadata(server, own, ekms_client(server, own.vault_url))
        vault = external_vault(vault_client, server.tenancy, metadata)
        kms = support.management_client(server.config, vault)
        crypto = support.crypto_client(server.config, vault)
        key = external_key(kms, server.tenancy, own.key_ids[0])
        sealed = encrypt(crypto, key.id, b"before the block")
        with own.blocked():
            for _ in range(2):  # the EKM's answer, then Strongroom's own memory of it
                error = support.service_error(
                    encrypt, crypto, key.id, b"x", status=409, code="IncorrectState"
                )
                assert "BLOCKED" in error.message
            clock.advance(timedelta(minutes=1))
            health = _raw_vault(raw, vault.id)["externalKeyManagerHealth"]
            assert isinstance(health, dict) and health["state"] == "BLOCKED", health
            refused = support.service_error(
                external_key, kms, server.tenancy, own.key_ids[0], status=409
            )
            assert "BLOCKED" in refused.message
            assert [k.id for k in kms.list_keys(server.tenancy).data] == [key.id]
        # Unblocked: the next check (GetVault, once the last one is stale) lets calls through.
        clock.advance(timedelta(minutes=1))
        health = _raw_vault(raw, vault.id)["externalKeyManagerHealth"]
        assert isinstance(health, dict) and health["state"] == "ACTIVE", health
        assert decrypt(crypto, key.id, sealed.ciphertext) == b"before the block"


def test_an_unreachable_ekm_still_gives_a_vault_promptly(
    server: Server, vault_client: KmsVaultClient, raw: Raw
) -> None:
    url = f"http://127.0.0.1:{free_port()}/kms/xks/v1"
    metadata = m.ExternalKeyManagerMetadata(
        external_vault_endpoint_url=url,
        oauth_metadata=m.OauthMetadata(client_app_id="AKIAEXAMPLE", client_app_secret="x" * 20),
    )
    vault = external_vault(vault_client, server.tenancy, metadata)
    health = _raw_vault(raw, vault.id)["externalKeyManagerHealth"]
    assert isinstance(health, dict)
    assert health["state"] == "UNREACHABLE", health


GOOD_OAUTH = {
    "idcsAccountNameUrl": "https://idp.example",
    "clientAppId": "a",
    "clientAppSecret": "s",
}
BAD_METADATA = [
    pytest.param(None, id="missing"),
    pytest.param({"externalVaultEndpointUrl": "https://ekm.example/v1/vaults/x"}, id="no-oauth"),
    pytest.param(
        {"externalVaultEndpointUrl": "http://ekm.example/v1/vaults/x", "oauthMetadata": GOOD_OAUTH},
        id="plain-http-not-loopback",
    ),
    pytest.param(
        {"externalVaultEndpointUrl": "ftp://127.0.0.1/v1/vaults/x", "oauthMetadata": GOOD_OAUTH},
        id="not-http",
    ),
    pytest.param(
        {"externalVaultEndpointUrl": "https://user:pw@ekm.example/x", "oauthMetadata": GOOD_OAUTH},
        id="credentials-in-url",
    ),
    pytest.param({"externalVaultEndpointUrl": 7, "oauthMetadata": GOOD_OAUTH}, id="url-type"),
    pytest.param(
        {
            "externalVaultEndpointUrl": "https://ekm.example/v1/vaults/x",
            "oauthMetadata": {**GOOD_OAUTH, "clientAppSecret": ""},
        },
        id="empty-secret",
    ),
    pytest.param(
        {
            "externalVaultEndpointUrl": "https://ekm.example/v1/vaults/x",
            "oauthMetadata": {"clientAppId": "a", "clientAppSecret": "s"},
        },
        id="ekms-without-identity-provider",
    ),
    pytest.param(
        {
            "externalVaultEndpointUrl": "https://ekm.example/v1/vaults/x",
            "oauthMetadata": {**GOOD_OAUTH, "idcsAccountNameUrl": "http://idp.example"},
        },
        id="identity-provider-plain-http",
    ),
    pytest.param(
        {
            "externalVaultEndpointUrl": "https://ekm.example/v1/vaults/x",
            "oauthMetadata": GOOD_OAUTH,
            "privateEndpointId": "not-an-ocid",
        },
        id="private-endpoint-not-an-ocid",
    ),
]


@pytest.mark.parametrize("metadata", BAD_METADATA)
def test_bad_external_metadata_is_refused(
    server: Server, raw: Raw, metadata: dict[str, object] | None
) -> None:
    before = raw.count_vaults()
    body: dict[str, object] = {
        "compartmentId": server.tenancy,
        "displayName": "bad",
        "vaultType": "EXTERNAL",
    }
    if metadata is not None:
        body["externalKeyManagerMetadata"] = metadata
    response = raw.post(raw.vaults_path(), body)
    message = support.assert_oci_error(response, 400, "InvalidParameter")
    assert "s3cr3t" not in message
    assert raw.count_vaults() == before


def test_metadata_on_a_default_vault_is_refused(server: Server, raw: Raw) -> None:
    body = {
        "compartmentId": server.tenancy,
        "displayName": "bad",
        "vaultType": "DEFAULT",
        "externalKeyManagerMetadata": {
            "externalVaultEndpointUrl": "https://ekm.example/v1/vaults/x",
            "oauthMetadata": GOOD_OAUTH,
        },
    }
    support.assert_oci_error(raw.post(raw.vaults_path(), body), 400, "InvalidParameter")


def test_sdk_external_vault_without_metadata_is_refused(
    vault_client: KmsVaultClient, tenancy: str
) -> None:
    details = m.CreateVaultDetails(compartment_id=tenancy, display_name="x", vault_type="EXTERNAL")
    support.service_error(vault_client.create_vault, details, status=400, code="InvalidParameter")


def test_strongroom_ekm_health_command(
    server: Server, vault_client: KmsVaultClient, proxy: EkmProxy
) -> None:
    vault = external_vault(vault_client, server.tenancy, xks_metadata(proxy))
    command = [sys.executable, "-m", "strongroom.cli.main", "ekm-health"]
    for mode in ("--stored", "--check"):
        done = subprocess.run(
            [*command, "--data-dir", str(server.data_dir), mode],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "400"},
        )
        assert vault.id in done.stdout, done.stderr
        (line,) = [row for row in done.stdout.splitlines() if vault.id in row]
        assert "ACTIVE" in line and "XKS" in line
        assert proxy.secret_access_key not in done.stdout + done.stderr
