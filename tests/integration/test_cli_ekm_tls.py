"""``strongroom serve --ekm-ca-bundle --ekm-client-cert --ekm-client-key`` end to end.

A real ``strongroom serve`` subprocess, driven by the ``oci`` SDK, in front of a real
``strongroom-ekm`` that serves HTTPS and requires client certificates from its CA (mutual
TLS). With the certificate, EXTERNAL keys work over both EKM protocols; without it the proxy
refuses the handshake and every call gives the documented 503, nothing stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import oci
import pytest
from oci.key_management import models as m

from strongroom.app import initialize
from tests.ekm_support import EkmProxy, running_proxy
from tests.helpers import b64d, free_port
from tests.integration import cli_support, support
from tests.integration.external_support import (
    decrypt,
    encrypt,
    external_key,
    external_vault,
    xks_metadata,
)

UNAVAILABLE = "ExternalKeyManagerUnavailable"


@pytest.fixture(scope="module")
def mtls_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EkmProxy]:
    directory = tmp_path_factory.mktemp("ekm-mtls")
    with running_proxy(directory, tls=True, mutual_tls=True, keys=1) as proxy:
        yield proxy


class Served:
    """A ``strongroom serve`` subprocess and the SDK configuration that reaches it."""

    def __init__(self, url: str, config: dict[str, object]) -> None:
        self.url = url
        self.config = config

    @property
    def tenancy(self) -> str:
        return str(self.config["tenancy"])


def serve(tmp_path: Path, proxy: EkmProxy, *, client_cert: bool) -> Iterator[Served]:
    tls = proxy.tls
    assert tls is not None
    data_dir = tmp_path / f"data-{uuid.uuid4().hex[:6]}"
    initialize(data_dir, support.REGION)
    port = free_port()
    args = ["--port", str(port), "--ekm-ca-bundle", str(tls.ca_file)]
    if client_cert:
        args += ["--ekm-client-cert", str(tls.client_cert), "--ekm-client-key", str(tls.client_key)]
    url = f"http://127.0.0.1:{port}"
    log = data_dir.parent / f"{data_dir.name}.log"
    with cli_support.serving(data_dir, log, *args) as process:
        cli_support.wait_serving(process, url, log)
        yield Served(url, oci.config.from_file(str(data_dir / "oci" / "config")))


@pytest.fixture
def with_cert(tmp_path: Path, mtls_proxy: EkmProxy) -> Iterator[Served]:
    yield from serve(tmp_path, mtls_proxy, client_cert=True)


@pytest.fixture
def without_cert(tmp_path: Path, mtls_proxy: EkmProxy) -> Iterator[Served]:
    yield from serve(tmp_path, mtls_proxy, client_cert=False)


def test_external_keys_over_mutual_tls(with_cert: Served, mtls_proxy: EkmProxy) -> None:
    vaults = support.vault_client(with_cert.config, with_cert.url)
    vault = external_vault(vaults, with_cert.tenancy, xks_metadata(mtls_proxy))
    kms = support.management_client(with_cert.config, vault)
    crypto = support.crypto_client(with_cert.config, vault)
    key = external_key(kms, with_cert.tenancy, mtls_proxy.key_ids[0])
    assert key.protection_mode == "EXTERNAL"
    sealed = encrypt(crypto, key.id, b"over mutual tls", {"app": "e2e"})
    assert decrypt(crypto, key.id, sealed.ciphertext, {"app": "e2e"}) == b"over mutual tls"
    data_key = crypto.generate_data_encryption_key(
        m.GenerateKeyDetails(
            key_id=key.id,
            include_plaintext_key=True,
            key_shape=m.KeyShape(algorithm="AES", length=32),
        )
    ).data
    plaintext = decrypt(crypto, key.id, data_key.ciphertext)
    assert plaintext == b64d(data_key.plaintext)


def test_without_a_client_certificate_the_ekm_refuses(
    without_cert: Served, mtls_proxy: EkmProxy
) -> None:
    vaults = support.vault_client(without_cert.config, without_cert.url)
    vault = external_vault(vaults, without_cert.tenancy, xks_metadata(mtls_proxy))
    kms = support.management_client(without_cert.config, vault)
    error = support.service_error(
        external_key,
        kms,
        without_cert.tenancy,
        mtls_proxy.key_ids[0],
        status=503,
        code=UNAVAILABLE,
    )
    assert "--ekm-client-cert" in error.message
    assert mtls_proxy.secret_access_key not in error.message
    assert kms.list_keys(without_cert.tenancy).data == []
