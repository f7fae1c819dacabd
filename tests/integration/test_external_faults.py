"""EXTERNAL keys when things go wrong: the EKM stopped or hanging, TLS trust, bad credentials;
and the proof that key material stays in the EKM (softhsm and software back ends)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from oci.key_management import KmsVaultClient
from oci.key_management import models as m

from tests.clock import ManualClock
from tests.ekm_support import requires_softhsm, running_proxy
from tests.helpers import b64d
from tests.idp_support import LocalIdp
from tests.integration import support
from tests.integration.external_support import (
    TEST_TIMEOUT,
    EkmsClient,
    ExternalVault,
    decrypt,
    ekm_settings,
    ekms_client,
    ekms_metadata,
    encrypt,
    external_key,
    found_in_storage,
    material_scan,
    open_vault,
    trust_strongroom_tokens,
    xks_metadata,
)
from tests.integration.support import Server

UNAVAILABLE = "ExternalKeyManagerUnavailable"


@pytest.fixture
def generous(server: Server) -> Iterator[None]:
    with ekm_settings(server, timeout_seconds=TEST_TIMEOUT):
        yield


def _timed_error(call: object, *args: object, code: str = UNAVAILABLE) -> float:
    started = time.monotonic()
    support.service_error(call, *args, status=503, code=code)  # type: ignore[arg-type]
    return time.monotonic() - started


def test_stopped_ekm_fails_promptly_and_key_material_stays_outside(
    server: Server,
    vault_client: KmsVaultClient,
    clock: ManualClock,
    tmp_path: Path,
    generous: None,
) -> None:
    with running_proxy(tmp_path, "software", keys=1) as proxy:
        ext = open_vault(server, vault_client, xks_metadata(proxy), proxy)
        key = external_key(ext.kms, server.tenancy, proxy.key_ids[0])
        sealed = encrypt(ext.crypto, key.id, b"earlier", {"a": "b"})
        data_key = ext.crypto.generate_data_encryption_key(
            m.GenerateKeyDetails(
                key_id=key.id,
                key_shape=m.KeyShape(algorithm="AES", length=32),
                include_plaintext_key=True,
            )
        ).data

        # The proxy's key material, opened in another process, is neither in Strongroom's
        # storage nor anywhere in the memory of this process (where the server runs).
        # Control: the XKS secret is in this memory (Strongroom signs with it); the scan sees it.
        control = proxy.secret_access_key.encode()
        scan = material_scan(server, proxy, os.getpid(), [control])
        assert scan["keys"] >= 1 and scan["controls"] == 1, scan
        assert scan["storage"] == 0 and scan["memory"] == 0, scan
        assert found_in_storage(server, [b"SQLite format 3"]) == [True]  # the scan sees data

        proxy.stop()
        details = m.DecryptDataDetails(
            key_id=key.id, ciphertext=sealed.ciphertext, associated_data={"a": "b"}
        )
        assert _timed_error(ext.crypto.decrypt, details) < 1.0
        assert _timed_error(encrypt, ext.crypto, key.id, b"new") < 1.0
        wrapped = m.DecryptDataDetails(key_id=key.id, ciphertext=data_key.ciphertext)
        assert _timed_error(ext.crypto.decrypt, wrapped) < 1.0
        error = support.service_error(ext.crypto.decrypt, details, status=503, code=UNAVAILABLE)
        assert "unavailable" in error.message.lower() or "unreachable" in error.message.lower()

        proxy.start()
        clock.advance(timedelta(seconds=5))  # past the fail-fast window and the breaker
        time.sleep(2.1)  # the client's circuit breaker waits on the real clock
        assert decrypt(ext.crypto, key.id, sealed.ciphertext, {"a": "b"}) == b"earlier"
        assert decrypt(ext.crypto, key.id, data_key.ciphertext) == b64d(data_key.plaintext)


def test_hanging_ekm_times_out_within_the_default_budget(
    server: Server, vault_client: KmsVaultClient, clock: ManualClock, tmp_path: Path
) -> None:
    with (
        ekm_settings(server, timeout_seconds=0.25),  # the default budget
        running_proxy(tmp_path, "software", keys=1) as proxy,
    ):
        ext = open_vault(server, vault_client, xks_metadata(proxy), proxy)
        key = external_key(ext.kms, server.tenancy, proxy.key_ids[0])
        sealed = encrypt(ext.crypto, key.id, b"x")
        assert proxy.process is not None
        proxy.process.send_signal(signal.SIGSTOP)  # accepts connections, never answers
        try:
            for _ in range(3):
                elapsed = _timed_error(encrypt, ext.crypto, key.id, b"y")
                assert elapsed < 0.9, elapsed
                clock.advance(timedelta(seconds=5))
        finally:
            proxy.process.send_signal(signal.SIGCONT)
        clock.advance(timedelta(seconds=5))
        time.sleep(2.1)
        assert decrypt(ext.crypto, key.id, sealed.ciphertext) == b"x"


def test_tls_needs_the_configured_ca_bundle(
    server: Server, vault_client: KmsVaultClient, tmp_path: Path, generous: None
) -> None:
    with running_proxy(tmp_path, "software", keys=1, tls=True) as proxy:
        assert proxy.xks_url.startswith("https://")
        with ekm_settings(server, ca_bundle_pem=proxy.ca_pem):
            trusted = open_vault(server, vault_client, xks_metadata(proxy), proxy)
            key = external_key(trusted.kms, server.tenancy, proxy.key_ids[0])
            sealed = encrypt(trusted.crypto, key.id, b"over tls")
            assert decrypt(trusted.crypto, key.id, sealed.ciphertext) == b"over tls"
        untrusted = open_vault(server, vault_client, xks_metadata(proxy), proxy)
        error = support.service_error(
            external_key,
            untrusted.kms,
            server.tenancy,
            proxy.key_ids[0],
            status=503,
            code=UNAVAILABLE,
        )
        assert "certificate" in error.message.lower() or "tls" in error.message.lower()


def test_bad_credentials_are_an_authentication_error(
    server: Server, vault_client: KmsVaultClient, tmp_path: Path, generous: None
) -> None:
    with running_proxy(tmp_path, "software", keys=1) as proxy:
        trust_strongroom_tokens(server, proxy)
        xks = xks_metadata(proxy)
        xks.oauth_metadata.client_app_secret = "wrong-" + proxy.secret_access_key
        client = ekms_client(server, proxy.vault_url)
        ekms = ekms_metadata(server, proxy, EkmsClient(client.client_id, "wrong-secret"))
        other_audience = ekms_client(server, "https://ekm.example/another-vault")
        wrong_scope = ekms_metadata(server, proxy, other_audience)
        for metadata in (xks, ekms, wrong_scope):
            ext = open_vault(server, vault_client, metadata, proxy)
            error = support.service_error(
                external_key,
                ext.kms,
                server.tenancy,
                proxy.key_ids[0],
                status=502,
                code="ExternalKeyManagerAuthenticationFailed",
            )
            assert "wrong" not in error.message


def _round_trip(ext: ExternalVault, tenancy: str, external_id: str) -> None:
    key = external_key(ext.kms, tenancy, external_id)
    sealed = encrypt(ext.crypto, key.id, b"in the hsm", {"k": "v"})
    assert decrypt(ext.crypto, key.id, sealed.ciphertext, {"k": "v"}) == b"in the hsm"
    made = ext.crypto.generate_data_encryption_key(
        m.GenerateKeyDetails(
            key_id=key.id,
            key_shape=m.KeyShape(algorithm="AES", length=32),
            include_plaintext_key=True,
        )
    ).data
    assert decrypt(ext.crypto, key.id, made.ciphertext) == b64d(made.plaintext)


@requires_softhsm
def test_softhsm_back_end_over_both_protocols(
    server: Server, vault_client: KmsVaultClient, tmp_path: Path, generous: None
) -> None:
    with running_proxy(tmp_path, "softhsm", keys=1) as proxy:
        trust_strongroom_tokens(server, proxy)
        client = ekms_client(server, proxy.vault_url)
        for metadata in (ekms_metadata(server, proxy, client), xks_metadata(proxy)):
            ext = open_vault(server, vault_client, metadata, proxy)
            _round_trip(ext, server.tenancy, proxy.key_ids[0])
        proxy.stop()
        ext = open_vault(server, vault_client, xks_metadata(proxy), proxy)
        support.service_error(
            external_key,
            ext.kms,
            server.tenancy,
            proxy.key_ids[0],
            status=503,
            code=UNAVAILABLE,
        )


def test_ekms_with_a_standard_identity_provider(
    server: Server, vault_client: KmsVaultClient, tmp_path: Path, generous: None
) -> None:
    with LocalIdp() as idp, running_proxy(tmp_path, "software", idp=idp, keys=1) as proxy:
        metadata = m.ExternalKeyManagerMetadata(
            external_vault_endpoint_url=proxy.vault_url,
            oauth_metadata=m.OauthMetadata(
                idcs_account_name_url=idp.url,
                client_app_id=idp.client_id,
                client_app_secret=idp.client_secret,
            ),
        )
        ext = open_vault(server, vault_client, metadata, proxy)
        for _ in range(3):
            _round_trip(ext, server.tenancy, proxy.key_ids[0])
        assert idp.token_requests == 1  # one token, cached until shortly before it expires
