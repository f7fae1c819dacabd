"""The Element JSON-RPC API driven by NetApp's solidfire-sdk-python against a real
``strongroom serve --element-port`` and a real PyKMIP server: every method through the SDK's
own method, Element's field names and types, and TLS verified against DIR/element/ca.pem."""

from __future__ import annotations

import socket
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from solidfire.common import ApiServerError

from tests.integration.element_support import ElementServer, element_server, wait_async
from tests.kmip_server import KmipTestServer

pytest_plugins = ["tests.integration.kmip_fixtures"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ElementServer]:
    """One serving process for the module."""
    with element_server(tmp_path_factory.mktemp("element")) as running:
        yield running


@pytest.fixture(scope="module")
def sfe(server: ElementServer) -> Any:
    """The SDK's Element object, connected through ElementFactory."""
    return server.sdk()


def _server_for(sfe: Any, kmip: KmipTestServer, name: str = "kmip") -> Any:
    csr = sfe.get_client_certificate_sign_request().client_certificate_sign_request
    certificate = kmip.sign_csr(csr)
    created = sfe.create_key_server_kmip(
        kmip_ca_certificate=kmip.ca_pem,
        kmip_client_certificate=certificate,
        kmip_key_server_hostnames=["localhost"],
        kmip_key_server_name=name,
        kmip_key_server_port=kmip.port,
    )
    return created.kmip_key_server


def _error_name(caught: pytest.ExceptionInfo[ApiServerError]) -> str:
    return str(caught.value.error_name)


def test_element_factory_discovers_version_12_3(sfe: Any) -> None:
    assert float(sfe.api_version) == 12.3
    api = sfe.get_api()
    assert "12.3" in [str(v) for v in api.supported_versions]


def test_the_certificate_verifies_against_the_generated_ca_by_name(server: ElementServer) -> None:
    ca = server.data_dir / "element" / "ca.pem"
    url = f"https://localhost:{server.port}/json-rpc/12.3"
    context = ssl.create_default_context(cafile=str(ca))
    with httpx.Client(verify=context, timeout=10) as client:
        answer = client.post(url, content=b'{"method": "GetAPI", "id": 1}', auth=server.credentials)
    assert answer.json()["result"]["currentVersion"] == "12.3"
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=socket.gethostname()) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    names = x509.load_der_x509_certificate(der)
    alternative = names.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in alternative.get_values_for_type(x509.DNSName)


def test_key_servers_and_providers_through_the_sdk(sfe: Any, kmip_server: KmipTestServer) -> None:
    key_server = _server_for(sfe, kmip_server, "first")
    assert key_server.kmip_key_server_hostnames == ["localhost"]
    assert key_server.kmip_key_server_port == kmip_server.port
    assert key_server.key_provider_id is None
    sfe.test_key_server_kmip(key_server.key_server_id)

    provider = sfe.create_key_provider_kmip("provider one").kmip_key_provider
    assert provider.key_provider_is_active is False
    assert provider.key_server_ids == []
    assert provider.kmip_capabilities
    sfe.add_key_server_to_provider_kmip(provider.key_provider_id, key_server.key_server_id)
    got = sfe.get_key_provider_kmip(provider.key_provider_id).kmip_key_provider
    assert got.key_server_ids == [key_server.key_server_id]
    sfe.test_key_provider_kmip(provider.key_provider_id)

    listed = sfe.list_key_servers_kmip(key_provider_id=provider.key_provider_id).kmip_key_servers
    assert [s.key_server_id for s in listed] == [key_server.key_server_id]
    assert listed[0].kmip_assigned_provider_is_active is False
    unassigned = sfe.list_key_servers_kmip(kmip_has_provider_assigned=False).kmip_key_servers
    assert key_server.key_server_id not in [s.key_server_id for s in unassigned]
    with_server = sfe.list_key_providers_kmip(kmip_key_provider_has_server_assigned=True)
    assert provider.key_provider_id in [p.key_provider_id for p in with_server.kmip_key_providers]

    modified = sfe.modify_key_server_kmip(key_server.key_server_id, kmip_key_server_name="renamed")
    assert modified.kmip_key_server.kmip_key_server_name == "renamed"
    got_server = sfe.get_key_server_kmip(key_server.key_server_id).kmip_key_server
    assert got_server.kmip_key_server_name == "renamed"
    assert got_server.key_provider_id == provider.key_provider_id

    sfe.remove_key_server_from_provider_kmip(key_server.key_server_id)
    sfe.delete_key_provider_kmip(provider.key_provider_id)
    sfe.delete_key_server_kmip(key_server.key_server_id)
    with pytest.raises(ApiServerError) as caught:
        sfe.get_key_server_kmip(key_server.key_server_id)
    assert _error_name(caught) == "xKeyServerNotFound"


def test_encryption_at_rest_is_always_enabled(sfe: Any) -> None:
    sfe.enable_encryption_at_rest()
    assert sfe.get_encryption_at_rest_info().state == "enabled"
    with pytest.raises(ApiServerError) as caught:
        sfe.disable_encryption_at_rest()
    assert "always encrypted" in str(caught.value)
    assert sfe.get_encryption_at_rest_info().state == "enabled"


def test_software_encryption_info_names_the_master_key(sfe: Any) -> None:
    info = sfe.get_software_encryption_at_rest_info()
    assert info.state == "enabled"
    assert info.master_key_info.key_management_type == "internal"
    uuid.UUID(str(info.master_key_info.key_id))
    assert info.master_key_info.key_created_time.endswith("Z")


def test_rekey_to_a_kmip_provider_and_back_through_the_sdk(
    server: ElementServer, sfe: Any, kmip_server: KmipTestServer
) -> None:
    before = sfe.get_software_encryption_at_rest_info().master_key_info
    key_server = _server_for(sfe, kmip_server, "rekey")
    provider = sfe.create_key_provider_kmip("rekey target").kmip_key_provider
    sfe.add_key_server_to_provider_kmip(provider.key_provider_id, key_server.key_server_id)

    handle = sfe.rekey_software_encryption_at_rest_master_key(
        key_management_type="external", key_provider_id=provider.key_provider_id
    ).async_handle
    done = wait_async(server, handle)
    assert "error" not in done, done
    assert done["resultType"] == "RekeyMasterKey"
    assert done["result"]["state"] == "Ready"
    assert done["result"]["newKey"]["keyManagementType"] == "external"
    assert done["result"]["newKey"]["keyProviderID"] == provider.key_provider_id
    assert done["result"]["keyToDecommission"]["keyID"] == str(before.key_id)
    info = sfe.get_software_encryption_at_rest_info()
    assert info.master_key_info.key_management_type == "external"
    assert info.master_key_info.key_provider_id == provider.key_provider_id
    assert info.rekey_master_key_async_result_id == handle
    handles = sfe.list_async_results(async_result_types=["RekeyMasterKey"]).async_handles
    assert handle in [h.async_result_id for h in handles]
    assert sfe.get_key_provider_kmip(
        provider.key_provider_id
    ).kmip_key_provider.key_provider_is_active

    # The active provider and its server cannot go away.
    with pytest.raises(ApiServerError) as caught:
        sfe.delete_key_provider_kmip(provider.key_provider_id)
    assert _error_name(caught) == "xInvalidState"
    with pytest.raises(ApiServerError) as caught:
        sfe.delete_key_server_kmip(key_server.key_server_id)
    assert _error_name(caught) == "xInvalidState"
    with pytest.raises(ApiServerError) as caught:
        sfe.remove_key_server_from_provider_kmip(key_server.key_server_id)
    assert _error_name(caught) == "xInvalidState"
    with pytest.raises(ApiServerError) as caught:
        sfe.create_public_private_key_pair(common_name="replacement")
    assert _error_name(caught) == "xInvalidState"

    back = sfe.rekey_software_encryption_at_rest_master_key(key_management_type="internal")
    finished = sfe.get_async_result(back.async_handle, keep_result=True)
    assert finished["resultType"] == "RekeyMasterKey"
    assert "error" not in wait_async(server, back.async_handle)
    assert sfe.get_software_encryption_at_rest_info().master_key_info.key_management_type == (
        "internal"
    )
    sfe.delete_key_provider_kmip(provider.key_provider_id)
    sfe.delete_key_server_kmip(key_server.key_server_id)


def test_a_new_client_key_pair_and_its_csr(sfe: Any, tmp_path: Path) -> None:
    sfe.create_public_private_key_pair(common_name="strongroom-test", organization="Example")
    csr_pem = sfe.get_client_certificate_sign_request().client_certificate_sign_request
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    assert "CN=strongroom-test" in csr.subject.rfc4514_string()
    assert "O=Example" in csr.subject.rfc4514_string()
