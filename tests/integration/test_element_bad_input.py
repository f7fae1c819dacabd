"""The Element API as Element's documentation shows it (raw JSON-RPC: method names in any
case, IDs as strings, ``status`` beside ``state``) and every bad input answered with a clear
Element error: unknown method or parameter, wrong types, wrong credentials (401, nothing
runs), bad JSON, bad certificates, protected providers and servers, a provider with no
server, wrong CA and unreachable hosts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import free_port
from tests.integration.element_support import ElementServer, element_server
from tests.kmip_server import KmipTestServer, TestCa

pytest_plugins = ["tests.integration.kmip_fixtures"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ElementServer]:
    """One serving process for the module."""
    with element_server(tmp_path_factory.mktemp("element-bad")) as running:
        yield running


def _error(answer: dict[str, Any]) -> dict[str, Any]:
    assert "error" in answer, answer
    error: dict[str, Any] = answer["error"]
    assert error["code"] == 500
    return error


def _providers(server: ElementServer) -> list[dict[str, Any]]:
    providers: list[dict[str, Any]] = server.rpc("ListKeyProvidersKmip")["result"][
        "kmipKeyProviders"
    ]
    return providers


def _key_server(server: ElementServer, kmip: KmipTestServer, **overrides: Any) -> dict[str, Any]:
    csr = server.rpc("GetClientCertificateSignRequest")["result"]["clientCertificateSignRequest"]
    params = {
        "kmipCaCertificate": kmip.ca_pem,
        "kmipClientCertificate": kmip.sign_csr(csr),
        "kmipKeyServerHostnames": ["localhost"],
        "kmipKeyServerName": "bad-input",
        "kmipKeyServerPort": kmip.port,
    } | overrides
    return server.rpc("CreateKeyServerKmip", params)


def test_documented_raw_calls_lowercase_names_and_string_ids(server: ElementServer) -> None:
    created = server.rpc("createkeyproviderkmip", {"keyProviderName": "raw"})
    provider_id = created["result"]["kmipKeyProvider"]["keyProviderID"]
    got = server.rpc("GETKEYPROVIDERKMIP", {"keyProviderID": str(provider_id)})
    assert got["result"]["kmipKeyProvider"]["keyProviderName"] == "raw"
    info = server.rpc("getsoftwareencryptionatrestinfo")["result"]
    assert info["state"] == "enabled"
    assert info["status"] == "enabled"
    assert info["masterKeyInfo"]["keyManagementType"] == "internal"
    assert server.rpc("DeleteKeyProviderKmip", {"keyProviderID": str(provider_id)}) == {
        "id": 7,
        "result": {},
    }


def test_getapi_answers_at_any_supported_version(server: ElementServer) -> None:
    for version in ("7.0", "11.7", "12.3"):
        url = f"https://127.0.0.1:{server.port}/json-rpc/{version}"
        answer = server.post(json.dumps({"method": "GetAPI", "id": 1}), url=url).json()
        assert answer["result"]["currentVersion"] == "12.3"
    url = f"https://127.0.0.1:{server.port}/json-rpc/99.0"
    answer = server.post(json.dumps({"method": "GetAPI", "id": 1}), url=url).json()
    assert answer["error"]["name"] == "xUnknownAPIVersion"


def test_unknown_method(server: ElementServer) -> None:
    error = _error(server.rpc("ListVolumes"))
    assert error["name"] == "xUnknownAPIMethod"
    assert "ListVolumes" in error["message"]


def test_unknown_parameter_is_named(server: ElementServer) -> None:
    error = _error(server.rpc("CreateKeyProviderKmip", {"keyProviderName": "x", "colour": 1}))
    assert error["name"] == "xInvalidParameter"
    assert "colour" in error["message"]
    assert not [p for p in _providers(server) if p["keyProviderName"] == "x"]


@pytest.mark.parametrize(
    ("method", "params", "named"),
    [
        ("GetKeyProviderKmip", {"keyProviderID": "twelve"}, "keyProviderID"),
        ("GetKeyProviderKmip", {"keyProviderID": True}, "keyProviderID"),
        ("GetKeyProviderKmip", {"keyProviderID": 1.5}, "keyProviderID"),
        ("CreateKeyProviderKmip", {"keyProviderName": 7}, "keyProviderName"),
        ("ListKeyProvidersKmip", {"keyProviderIsActive": "yes"}, "keyProviderIsActive"),
        ("GetAsyncResult", {"asyncHandle": []}, "asyncHandle"),
    ],
)
def test_wrongly_typed_parameter_is_named(
    server: ElementServer, method: str, params: dict[str, Any], named: str
) -> None:
    error = _error(server.rpc(method, params))
    assert error["name"] == "xInvalidParameterType"
    assert named in error["message"]


def test_missing_parameter_is_named(server: ElementServer) -> None:
    error = _error(server.rpc("GetKeyServerKmip", {}))
    assert error["name"] == "xMissingParameter"
    assert "keyServerID" in error["message"]


@pytest.mark.parametrize(
    "auth", [("admin", "wrong"), ("root", "x"), None], ids=["password", "user", "none"]
)
def test_wrong_credentials_answer_401_and_nothing_runs(
    server: ElementServer, auth: tuple[str, str] | None
) -> None:
    body = json.dumps({"method": "CreateKeyProviderKmip", "params": {"keyProviderName": "nope"}})
    if auth is None:
        import httpx

        with httpx.Client(verify=False, timeout=10) as client:
            response = client.post(server.url, content=body)
    else:
        response = server.post(body, auth=auth)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert not [p for p in _providers(server) if p["keyProviderName"] == "nope"]


def test_wrong_credentials_through_the_sdk(server: ElementServer) -> None:
    from solidfire.common import ApiConnectionError
    from solidfire.factory import ElementFactory

    with pytest.raises(ApiConnectionError, match="Bad Credentials"):
        ElementFactory.create("127.0.0.1", "admin", "wrong", port=server.port, verify_ssl=False)


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe"], ids=str)
def test_bad_json_is_an_element_error(server: ElementServer, body: bytes) -> None:
    response = server.post(body)
    assert response.status_code == 200
    error = response.json()["error"]
    assert error["code"] == 500
    assert error["name"] in ("xInvalidJSON", "xInvalidRequest")


def test_a_key_server_with_a_bad_certificate(
    server: ElementServer, kmip_server: KmipTestServer
) -> None:
    not_pem = _error(_key_server(server, kmip_server, kmipCaCertificate="hello"))
    assert not_pem["name"] == "xInvalidParameter"
    assert "kmipCaCertificate" in not_pem["message"]
    broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    error = _error(_key_server(server, kmip_server, kmipClientCertificate=broken))
    assert "kmipClientCertificate" in error["message"]
    # A certificate for another key pair than Strongroom's own is refused too.
    stranger = TestCa("stranger")
    other = _error(_key_server(server, kmip_server, kmipClientCertificate=stranger.pem))
    assert "key pair" in other["message"]


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"kmipKeyServerHostnames": []}, "kmipKeyServerHostnames"),
        ({"kmipKeyServerHostnames": ["bad host!"]}, "bad host!"),
        ({"kmipKeyServerPort": 0}, "kmipKeyServerPort"),
        ({"kmipKeyServerPort": 70000}, "kmipKeyServerPort"),
        ({"kmipKeyServerName": ""}, "kmipKeyServerName"),
    ],
)
def test_key_server_fields_are_checked(
    server: ElementServer, kmip_server: KmipTestServer, overrides: dict[str, Any], named: str
) -> None:
    error = _error(_key_server(server, kmip_server, **overrides))
    assert error["name"] == "xInvalidParameter"
    assert named in error["message"]


def test_a_provider_with_no_server_fails_its_test(server: ElementServer) -> None:
    provider = server.rpc("CreateKeyProviderKmip", {"keyProviderName": "empty"})["result"]
    provider_id = provider["kmipKeyProvider"]["keyProviderID"]
    error = _error(server.rpc("TestKeyProviderKmip", {"keyProviderID": provider_id}))
    assert error["name"] == "xKmipFailure"
    assert "no key server" in error["message"]
    rekey = {"keyManagementType": "External", "keyProviderID": provider_id}
    refused = _error(server.rpc("RekeySoftwareEncryptionAtRestMasterKey", rekey))
    assert "key server" in refused["message"]


def test_unknown_provider_and_server(server: ElementServer) -> None:
    missing = _error(server.rpc("GetKeyProviderKmip", {"keyProviderID": 9999}))
    assert missing["name"] == "xKeyProviderNotFound"
    assert _error(server.rpc("TestKeyServerKmip", {"keyServerID": 9999}))["name"] == (
        "xKeyServerNotFound"
    )
    rekey = {"keyManagementType": "external", "keyProviderID": 9999}
    assert _error(server.rpc("RekeySoftwareEncryptionAtRestMasterKey", rekey))["name"] == (
        "xKeyProviderNotFound"
    )
    assert _error(server.rpc("GetAsyncResult", {"asyncHandle": 9999}))["name"] == (
        "xAsyncHandleNotFound"
    )
    bad_kind = {"keyManagementType": "sideways"}
    assert (
        "keyManagementType"
        in _error(server.rpc("RekeySoftwareEncryptionAtRestMasterKey", bad_kind))["message"]
    )


def test_a_server_belongs_to_one_provider_and_a_provider_has_one_server(
    server: ElementServer, kmip_server: KmipTestServer
) -> None:
    first = _key_server(server, kmip_server)["result"]["kmipKeyServer"]["keyServerID"]
    second = _key_server(server, kmip_server)["result"]["kmipKeyServer"]["keyServerID"]
    one = server.rpc("CreateKeyProviderKmip", {"keyProviderName": "one"})["result"]
    two = server.rpc("CreateKeyProviderKmip", {"keyProviderName": "two"})["result"]
    one_id = one["kmipKeyProvider"]["keyProviderID"]
    two_id = two["kmipKeyProvider"]["keyProviderID"]
    add = "AddKeyServerToProviderKmip"
    assert "result" in server.rpc(add, {"keyProviderID": one_id, "keyServerID": first})
    assert "result" in server.rpc(add, {"keyProviderID": one_id, "keyServerID": first})
    taken = _error(server.rpc(add, {"keyProviderID": two_id, "keyServerID": first}))
    assert taken["name"] == "xConflict"
    full = _error(server.rpc(add, {"keyProviderID": one_id, "keyServerID": second}))
    assert "already has a key server" in full["message"]
    # Deleting an inactive provider unassigns its server.
    server.rpc("DeleteKeyProviderKmip", {"keyProviderID": one_id})
    got = server.rpc("GetKeyServerKmip", {"keyServerID": first})["result"]["kmipKeyServer"]
    assert "keyProviderID" not in got


def test_wrong_ca_and_unreachable_host_say_what_failed(
    server: ElementServer, kmip_server: KmipTestServer
) -> None:
    wrong_ca = _key_server(server, kmip_server, kmipCaCertificate=TestCa("wrong").pem)
    wrong_id = wrong_ca["result"]["kmipKeyServer"]["keyServerID"]
    error = _error(server.rpc("TestKeyServerKmip", {"keyServerID": wrong_id}))
    assert error["name"] == "xKmipFailure"
    assert "tls" in error["message"].lower()
    closed = _key_server(server, kmip_server, kmipKeyServerPort=free_port())
    closed_id = closed["result"]["kmipKeyServer"]["keyServerID"]
    error = _error(server.rpc("TestKeyServerKmip", {"keyServerID": closed_id}))
    assert "tcp" in error["message"].lower()
    unknown = _key_server(server, kmip_server, kmipKeyServerHostnames=["no-such-host.invalid"])
    unknown_id = unknown["result"]["kmipKeyServer"]["keyServerID"]
    error = _error(server.rpc("TestKeyServerKmip", {"keyServerID": unknown_id}))
    assert "dns" in error["message"].lower()


def test_calls_are_audited_under_their_method_names(server: ElementServer) -> None:
    server.rpc("GetEncryptionAtRestInfo")
    server.post(json.dumps({"method": "GetAPI"}), auth=("admin", "wrong"))
    import time

    from tests.integration.cli_support import run

    deadline = time.monotonic() + 10
    while True:
        listed = run("audit", "--data-dir", str(server.data_dir))
        if "GetEncryptionAtRestInfo" in listed.stdout and "Unauthenticated" in listed.stdout:
            break
        assert time.monotonic() < deadline, listed.stdout + listed.stderr
        time.sleep(0.3)
    log = server.log.read_text()
    assert "GetEncryptionAtRestInfo 200" in log
    assert "reason=bad-credentials" in log
    assert server.credentials[1] not in log
