"""EKMS private endpoints through the oci SDK's EkmClient: their life cycle, bad input, IAM, and
an EXTERNAL vault reaching its EKM through one (its address dialled, only its CA bundle
trusted, the certificate checked against the vault URL's host name)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import oci
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from oci.key_management import EkmClient, KmsVaultClient
from oci.key_management import models as m

from tests.ekm_support import EkmProxy, init_proxy
from tests.integration import iam_support, support
from tests.integration.external_support import (
    TEST_TIMEOUT,
    decrypt,
    ekm_settings,
    encrypt,
    external_key,
    external_vault,
    xks_metadata,
)
from tests.integration.support import Raw, Server, service_error
from tests.tls_support import make_tls

EKM_HOST = "ekm.strongroom.test"  # .test never resolves: only the private endpoint reaches it
SUBNET = "ocid1.subnet.oc1.us-ashburn-1..aaaaaaaasubnet"
PATH = "/20180608/ekmsPrivateEndpoints"
BEGIN = "-----BEGIN CERTIFICATE-----"


@pytest.fixture(scope="module")
def ekm(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EkmProxy]:
    """An XKS proxy over TLS whose certificate names EKM_HOST (and 127.0.0.1, for its own
    health checks), signed by a CA Strongroom does not otherwise trust."""
    directory = tmp_path_factory.mktemp("ekm-private-endpoint")
    proxy = init_proxy(directory, "software", tls=True, keys=1)
    proxy.tls = make_tls(directory / "tls-named", (EKM_HOST, "127.0.0.1"))
    with ekm_settings(server, timeout_seconds=TEST_TIMEOUT, ca_bundle_pem=None):
        proxy.start()
        try:
            yield proxy
        finally:
            proxy.stop()


@pytest.fixture(scope="module")
def ekm_client(server: Server) -> EkmClient:
    return EkmClient(server.config, service_endpoint=server.url)


def _details(server: Server, ca_pem: str, **changes: Any) -> m.CreateEkmsPrivateEndpointDetails:
    fields: dict[str, Any] = {
        "compartment_id": server.tenancy,
        "subnet_id": SUBNET,
        "display_name": f"pe-{uuid.uuid4().hex[:8]}",
        "external_key_manager_ip": "127.0.0.1",
        "port": 443,
        "ca_bundle": ca_pem,
        "freeform_tags": {"team": "security"},
    }
    fields.update(changes)
    return m.CreateEkmsPrivateEndpointDetails(**fields)


def _ca_pem(ekm: EkmProxy) -> str:
    assert ekm.tls is not None
    return ekm.tls.ca_pem


def _through(ekm: EkmProxy, endpoint_id: str, host: str = EKM_HOST) -> m.ExternalKeyManagerMetadata:
    """The proxy's XKS metadata, reached at ``host`` through the private endpoint."""
    metadata = xks_metadata(ekm)
    metadata.external_vault_endpoint_url = f"https://{host}:{ekm.port}/kms/xks/v1"
    metadata.private_endpoint_id = endpoint_id
    return metadata


def test_life_cycle(server: Server, ekm_client: EkmClient, ekm: EkmProxy) -> None:
    created = ekm_client.create_ekms_private_endpoint(
        _details(server, _ca_pem(ekm), port=None)
    ).data
    assert created.id.startswith("ocid1.ekmsprivateendpoint.")
    assert created.lifecycle_state == "ACTIVE"
    assert (created.external_key_manager_ip, created.port) == ("127.0.0.1", 443)
    assert created.ca_bundle == _ca_pem(ekm)
    assert created.subnet_id == SUBNET
    assert created.freeform_tags == {"team": "security"}

    got = ekm_client.get_ekms_private_endpoint(created.id)
    assert got.data == created
    listed = ekm_client.list_ekms_private_endpoints(server.tenancy, limit=1000).data
    (mine,) = [e for e in listed if e.id == created.id]
    assert (mine.display_name, mine.lifecycle_state) == (created.display_name, "ACTIVE")

    changes = m.UpdateEkmsPrivateEndpointDetails(display_name="renamed", freeform_tags={})
    updated = ekm_client.update_ekms_private_endpoint(
        created.id, changes, if_match=got.headers["etag"]
    ).data
    assert (updated.display_name, updated.freeform_tags) == ("renamed", {})
    assert updated.external_key_manager_ip == "127.0.0.1"  # address, port, CAs are fixed
    service_error(
        ekm_client.update_ekms_private_endpoint,
        created.id,
        changes,
        if_match=got.headers["etag"],
        status=412,
        code="NoEtagMatch",
    )

    ekm_client.delete_ekms_private_endpoint(created.id)
    service_error(ekm_client.get_ekms_private_endpoint, created.id, status=404)
    service_error(ekm_client.delete_ekms_private_endpoint, created.id, status=404)


def _leaf_pem(tmp_path: Path) -> str:
    files = make_tls(tmp_path / "leaf")
    certificate = x509.load_pem_x509_certificate(files.cert.read_bytes())
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"external_key_manager_ip": "999.1.1.1"}, "externalKeyManagerIp"),
        ({"external_key_manager_ip": "ekm.example.com"}, "externalKeyManagerIp"),
        ({"external_key_manager_ip": None}, "externalKeyManagerIp"),
        ({"port": 0}, "port"),
        ({"port": 70000}, "port"),
        ({"subnet_id": "subnet-1"}, "subnetId"),
        ({"subnet_id": "ocid1.vault.oc1..aaaa"}, "subnetId"),
        ({"ca_bundle": "not a certificate"}, "caBundle"),
        (
            {"ca_bundle": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
            "caBundle",
        ),
        ({"display_name": None}, "displayName"),
        ({"compartment_id": None}, "compartmentId"),
    ],
)
def test_bad_input_is_refused(
    server: Server, ekm_client: EkmClient, ekm: EkmProxy, changes: dict[str, Any], words: str
) -> None:
    error = service_error(
        ekm_client.create_ekms_private_endpoint,
        _details(server, _ca_pem(ekm), **changes),
        status=400,
        code="InvalidParameter",
    )
    assert words in error.message
    assert "BEGIN CERTIFICATE" not in error.message


def test_bad_raw_input_and_unknown_ids(server: Server, raw: Raw, tmp_path: Path) -> None:
    base = {"compartmentId": server.tenancy, "subnetId": SUBNET, "displayName": "pe"}
    base["externalKeyManagerIp"] = "127.0.0.1"
    leaf = {**base, "caBundle": _leaf_pem(tmp_path)}
    message = support.assert_oci_error(raw.post(PATH, leaf), 400, "InvalidParameter")
    assert "not a CA certificate" in message
    text_port = {**base, "caBundle": make_tls(tmp_path / "ca").ca_pem, "port": "443"}
    support.assert_oci_error(raw.post(PATH, text_port), 400, "InvalidParameter")
    support.assert_oci_error(raw.post(PATH, data=b"{not json"), 400, "InvalidParameter")
    unknown = "ocid1.ekmsprivateendpoint.oc1.us-ashburn-1..aaaaaaaanothere"
    support.assert_oci_error(raw.get(f"{PATH}/{unknown}"), 404, "NotAuthorizedOrNotFound")
    support.assert_oci_error(raw.get(f"{PATH}/not-an-ocid"), 400, "InvalidParameter")
    listing = raw.get(PATH, params={"compartmentId": "nope"})
    support.assert_oci_error(listing, 400, "InvalidParameter")


def test_policies_decide_who_sees_and_manages_them(
    server: Server, ekm_client: EkmClient, ekm: EkmProxy, tmp_path: Path
) -> None:
    created = ekm_client.create_ekms_private_endpoint(_details(server, _ca_pem(ekm))).data
    with iam_support.iam_session(server, tmp_path) as iam:
        group, person = iam.member()
        theirs = EkmClient(person.config, service_endpoint=server.url)
        service_error(theirs.get_ekms_private_endpoint, created.id, status=404)
        iam.policy(f"Allow group {group.name} to read ekms-private-endpoints in tenancy")
        assert theirs.get_ekms_private_endpoint(created.id).data.id == created.id
        assert theirs.list_ekms_private_endpoints(server.tenancy).data
        service_error(
            theirs.create_ekms_private_endpoint, _details(server, _ca_pem(ekm)), status=404
        )
        service_error(theirs.delete_ekms_private_endpoint, created.id, status=404)
    ekm_client.delete_ekms_private_endpoint(created.id)


def test_a_vault_reaches_its_ekm_through_the_private_endpoint(
    server: Server,
    ekm_client: EkmClient,
    vault_client: KmsVaultClient,
    oci_config: dict[str, Any],
    ekm: EkmProxy,
) -> None:
    endpoint = ekm_client.create_ekms_private_endpoint(
        _details(server, _ca_pem(ekm), port=ekm.port)
    ).data
    vault = external_vault(vault_client, server.tenancy, _through(ekm, endpoint.id))
    summary = vault.external_key_manager_metadata_summary
    assert summary.private_endpoint_id == endpoint.id
    key = external_key(support.management_client(oci_config, vault), server.tenancy, ekm.key_ids[0])
    crypto = support.crypto_client(oci_config, vault)
    sealed = encrypt(crypto, key.id, b"through the private endpoint")
    assert decrypt(crypto, key.id, sealed.ciphertext) == b"through the private endpoint"

    error = service_error(ekm_client.delete_ekms_private_endpoint, endpoint.id, status=409)
    assert "used by 1 vault" in error.message
    assert vault.id not in error.message
    assert ekm_client.get_ekms_private_endpoint(endpoint.id).data.lifecycle_state == "ACTIVE"


def test_without_the_private_endpoint_the_ekm_cannot_be_reached_or_trusted(
    server: Server,
    ekm_client: EkmClient,
    vault_client: KmsVaultClient,
    oci_config: dict[str, Any],
    ekm: EkmProxy,
    tmp_path: Path,
) -> None:
    other_ca = make_tls(tmp_path / "other").ca_pem
    untrusted = ekm_client.create_ekms_private_endpoint(
        _details(server, other_ca, port=ekm.port)
    ).data
    vault = external_vault(vault_client, server.tenancy, _through(ekm, untrusted.id))
    kms = support.management_client(oci_config, vault)
    error = service_error(external_key, kms, server.tenancy, ekm.key_ids[0], status=503)
    assert "not trusted" in error.message

    trusted = ekm_client.create_ekms_private_endpoint(
        _details(server, _ca_pem(ekm), port=ekm.port)
    ).data
    misnamed = _through(ekm, trusted.id, host="other.strongroom.test")
    vault = external_vault(vault_client, server.tenancy, misnamed)
    kms = support.management_client(oci_config, vault)
    error = service_error(external_key, kms, server.tenancy, ekm.key_ids[0], status=503)
    assert "not trusted" in error.message  # the certificate names EKM_HOST, not this host

    plain = m.ExternalKeyManagerMetadata(
        external_vault_endpoint_url=f"https://{EKM_HOST}:{ekm.port}/kms/xks/v1",
        oauth_metadata=_through(ekm, trusted.id).oauth_metadata,
    )
    vault = external_vault(vault_client, server.tenancy, plain)
    kms = support.management_client(oci_config, vault)
    service_error(external_key, kms, server.tenancy, ekm.key_ids[0], status=503)


def test_vaults_must_name_an_active_endpoint_and_use_https(
    server: Server, ekm_client: EkmClient, vault_client: KmsVaultClient, ekm: EkmProxy
) -> None:
    unknown = "ocid1.ekmsprivateendpoint.oc1.us-ashburn-1..aaaaaaaanothere"
    error = service_error(
        external_vault,
        vault_client,
        server.tenancy,
        _through(ekm, unknown),
        status=400,
        code="InvalidParameter",
    )
    assert "privateEndpointId" in error.message
    endpoint = ekm_client.create_ekms_private_endpoint(_details(server, _ca_pem(ekm))).data
    plain_http = _through(ekm, endpoint.id)
    plain_http.external_vault_endpoint_url = f"http://127.0.0.1:{ekm.port}/kms/xks/v1"
    error = service_error(external_vault, vault_client, server.tenancy, plain_http, status=400)
    assert "https" in error.message
    ekm_client.delete_ekms_private_endpoint(endpoint.id)
    with pytest.raises(oci.exceptions.ServiceError):
        ekm_client.get_ekms_private_endpoint(endpoint.id)
    # The scheme is checked as URLs compare it: in any case.
    other = ekm_client.create_ekms_private_endpoint(_details(server, _ca_pem(ekm))).data
    upper_case = _through(ekm, other.id)
    upper_case.external_vault_endpoint_url = f"HTTPS://{EKM_HOST}:{ekm.port}/kms/xks/v1"
    accepted = external_vault(vault_client, server.tenancy, upper_case)
    assert accepted.external_key_manager_metadata_summary.private_endpoint_id == other.id


def test_a_vault_may_name_only_an_endpoint_its_creator_may_read(
    server: Server, ekm_client: EkmClient, ekm: EkmProxy, tmp_path: Path
) -> None:
    endpoint = ekm_client.create_ekms_private_endpoint(_details(server, _ca_pem(ekm))).data
    with iam_support.iam_session(server, tmp_path) as iam:
        group, person = iam.member()
        iam.policy(f"Allow group {group.name} to manage vaults in tenancy")
        metadata = _through(ekm, endpoint.id)
        error = service_error(external_vault, person.vaults(), server.tenancy, metadata, status=400)
        assert "privateEndpointId" in error.message
        iam.policy(f"Allow group {group.name} to read ekms-private-endpoints in tenancy")
        vault = external_vault(person.vaults(), server.tenancy, metadata)
        assert vault.external_key_manager_metadata_summary.private_endpoint_id == endpoint.id
