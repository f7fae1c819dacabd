"""The Element dialect's pure parts: parameter parsing, Basic credentials, the error table,
rendering, method lookup and the generated TLS material."""

from __future__ import annotations

import base64
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509

from strongroom.api.element.auth import ElementCredentials, check_basic
from strongroom.api.element.dispatch import METHODS, find_method
from strongroom.api.element.errors import ElementError, error_object
from strongroom.api.element.material import ensure_element_material
from strongroom.api.element.params import Kind, Param, parse_params
from strongroom.api.element.render import async_handle, async_result, element_time
from strongroom.api.element.software_encryption import management_type
from strongroom.api.element.versions import is_supported
from strongroom.domain.at_rest import AsyncResult, KmipFailure, ManagementType, RekeyInProgress
from strongroom.domain.errors import InvalidParameter, NotFound
from strongroom.services.at_rest.kmip_checks import check_hostnames, check_port

SPECS = (
    Param("keyProviderID", Kind.ID, required=True),
    Param("name", Kind.STRING),
    Param("flag", Kind.BOOLEAN),
    Param("hosts", Kind.STRINGS),
    Param("port", Kind.INTEGER),
)


def _refused(raw: object) -> ElementError:
    with pytest.raises(ElementError) as caught:
        parse_params("M", SPECS, raw)
    return caught.value


def test_ids_are_integers_or_numeric_strings() -> None:
    assert parse_params("M", SPECS, {"keyProviderID": 3}).integer("keyProviderID") == 3
    assert parse_params("M", SPECS, {"keyProviderID": "42"}).integer("keyProviderID") == 42
    assert parse_params("M", SPECS, {"keyProviderID": " 7 "}).integer("keyProviderID") == 7


@pytest.mark.parametrize("value", ["x", "-1", "1.5", True, 1.5, [], {}])
def test_a_bad_id_is_refused_naming_it(value: object) -> None:
    error = _refused({"keyProviderID": value})
    assert error.name in ("xInvalidParameterType", "xInvalidParameter")
    assert "keyProviderID" in error.message


def test_ids_out_of_range() -> None:
    assert _refused({"keyProviderID": -1}).name == "xInvalidParameter"
    assert _refused({"keyProviderID": 2**64}).name == "xInvalidParameter"


def test_unknown_missing_and_null() -> None:
    assert _refused({"keyProviderID": 1, "other": 2}).name == "xInvalidParameter"
    assert "other" in _refused({"keyProviderID": 1, "other": 2}).message
    assert _refused({}).name == "xMissingParameter"
    assert _refused({"keyProviderID": None}).name == "xMissingParameter"
    assert _refused([1]).name == "xInvalidParameterType"
    values = parse_params("M", SPECS, {"keyProviderID": 1, "name": None})
    assert values.optional_string("name") is None


@pytest.mark.parametrize(
    ("name", "value"),
    [("name", 1), ("flag", "true"), ("flag", 0), ("hosts", "h"), ("hosts", [1]), ("port", "1")],
)
def test_wrong_types(name: str, value: object) -> None:
    error = _refused({"keyProviderID": 1, name: value})
    assert error.name == "xInvalidParameterType"
    assert name in error.message


def test_typed_values() -> None:
    raw = {"keyProviderID": 1, "name": "n", "flag": False, "hosts": ["a", "b"], "port": 5696}
    values = parse_params("M", SPECS, raw)
    assert values.string("name") == "n"
    assert values.optional_boolean("flag") is False
    assert values.strings("hosts") == ("a", "b")
    assert values.optional_integer("port") == 5696


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_credentials() -> None:
    credentials = ElementCredentials("admin", "s3cret")
    assert check_basic(_basic("admin", "s3cret"), credentials) is None
    assert check_basic(_basic("admin", "wrong"), credentials) == "bad-credentials"
    assert check_basic(_basic("root", "s3cret"), credentials) == "bad-credentials"
    assert check_basic(None, credentials) == "missing-credentials"
    assert check_basic("Bearer x", credentials) == "malformed-credentials"
    assert check_basic("Basic !!!", credentials) == "malformed-credentials"
    assert "s3cret" not in repr(credentials)


def test_error_table() -> None:
    assert error_object(InvalidParameter("bad"))["name"] == "xInvalidParameter"
    assert error_object(RekeyInProgress("busy"))["name"] == "xRekeyInProgress"
    kmip = error_object(KmipFailure("tls", "certificate verify failed"))
    assert kmip == {
        "code": 500,
        "name": "xKmipFailure",
        "message": "KMIP tls failure: certificate verify failed",
    }
    assert error_object(NotFound("gone"))["name"] == "xNotFound"
    assert error_object(NotFound("gone"), "xAsyncHandleNotFound")["name"] == (
        "xAsyncHandleNotFound"
    )
    assert error_object(ElementError("x", "y"))["code"] == 500


def test_methods_are_found_in_any_case() -> None:
    assert find_method("rekeysoftwareencryptionatrestmasterkey").name == (
        "RekeySoftwareEncryptionAtRestMasterKey"
    )
    assert find_method("GETAPI").name == "GetAPI"
    with pytest.raises(ElementError) as caught:
        find_method("ListVolumes")
    assert caught.value.name == "xUnknownAPIMethod"
    assert len(METHODS) == 23


def test_versions_and_management_types() -> None:
    assert is_supported("12.3") and is_supported("7.0") and is_supported("7")
    assert not is_supported("99.0") and not is_supported("x") and not is_supported("")
    assert management_type("External") is ManagementType.EXTERNAL
    assert management_type(None) is None
    with pytest.raises(ElementError):
        management_type("sideways")


def _result(status: str, **fields: object) -> AsyncResult:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    base: dict[str, object] = {
        "id": 4,
        "result_type": "RekeyMasterKey",
        "status": status,
        "details": {"state": "RewrapDataEncryptionKeys", "internal": "not shown"},
        "result": None,
        "error": None,
        "time_created": when,
        "time_updated": when,
    }
    return AsyncResult(**(base | fields))  # type: ignore[arg-type]


def test_async_results_render_in_elements_names() -> None:
    running = async_result(_result("running"))
    assert running["status"] == "running"
    assert running["details"] == {"state": "RewrapDataEncryptionKeys"}
    assert running["result"] == {"state": "RewrapDataEncryptionKeys"}
    assert running["createTime"] == "2026-01-02T03:04:05Z"
    outcome = {
        "key_to_decommission": {"key_id": "internal-ab", "management_type": "internal"},
        "new_key": {
            "key_id": "0b6c3e1a-2f4d-4c1e-9a7b-3d2c1b0a9f8e",
            "management_type": "external",
            "provider_id": 2,
        },
        "operation": "Rekey",
    }
    done = async_result(_result("complete", details={"state": "Ready"}, result=outcome))
    result = done["result"]
    assert isinstance(result, dict)
    assert result["newKey"] == {
        "keyID": "0b6c3e1a-2f4d-4c1e-9a7b-3d2c1b0a9f8e",
        "keyManagementType": "external",
        "keyProviderID": 2,
    }
    assert result["state"] == "Ready" and result["operation"] == "Rekey"
    failed = _result("complete", error={"name": "KmipFailure", "message": "gone"})
    assert async_result(failed)["error"] == {"code": 500, "name": "KmipFailure", "message": "gone"}
    handle = async_handle(failed)
    assert handle["completed"] is True and handle["success"] is False
    assert element_time(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"


def test_kmip_field_checks() -> None:
    assert check_hostnames(("kmip.example.com", "10.0.0.1", "::1")) == (
        "kmip.example.com",
        "10.0.0.1",
        "::1",
    )
    for bad in ((), ("bad host",), ("-x.example",), ("a" * 64,)):
        with pytest.raises(InvalidParameter):
            check_hostnames(bad)
    with pytest.raises(InvalidParameter):
        check_port(0)


def test_element_material(tmp_path: Path) -> None:
    material = ensure_element_material(tmp_path, "127.0.0.1")
    for path in (material.credentials, material.key, material.cert, material.ca):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    credentials = json.loads(material.credentials.read_text())
    assert credentials["username"] == "admin" and len(credentials["password"]) >= 24
    cert = x509.load_pem_x509_certificate(material.cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    addresses = [str(a) for a in names.get_values_for_type(x509.IPAddress)]
    assert "127.0.0.1" in addresses and "::1" in addresses
    ca = x509.load_pem_x509_certificate(material.ca.read_bytes())
    cert.verify_directly_issued_by(ca)
    assert not list(material.directory.glob("ca*key*"))
    before = material.credentials.read_text()
    ensure_element_material(tmp_path)
    assert material.credentials.read_text() == before
