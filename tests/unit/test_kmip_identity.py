"""Strongroom's KMIP client identity: the subject's rules, the key file's protection, the CSR;
and the words for TLS failures."""

from __future__ import annotations

import json
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from strongroom.barrier.kmip_identity import FileClientIdentity, normalize_subject
from strongroom.barrier.kmip_tls import client_refusal, describe_ssl_error
from strongroom.domain.errors import InvalidParameter


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _public_der(identity: FileClientIdentity) -> bytes:
    return (
        identity.load_private_key()
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


# --- the subject -------------------------------------------------------------------------------


def test_the_common_name_defaults_to_strongroom() -> None:
    assert normalize_subject({}) == {"commonName": "strongroom"}
    assert normalize_subject({"commonName": "  "}) == {"commonName": "strongroom"}


def test_values_are_trimmed_and_empty_ones_dropped() -> None:
    assert normalize_subject({"organization": " Example ", "locality": ""}) == {
        "commonName": "strongroom",
        "organization": "Example",
    }


@pytest.mark.parametrize("country", ["USA", "U", "1A", "U.", "ÜS"])
def test_a_country_must_be_two_letters(country: str) -> None:
    with pytest.raises(InvalidParameter, match="two-letter country code"):
        normalize_subject({"country": country})


def test_a_country_is_upper_cased() -> None:
    assert normalize_subject({"country": "gb"})["country"] == "GB"


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(InvalidParameter, match="unknown certificate subject field"):
        normalize_subject({"surname": "x"})


def test_overlong_values_are_refused() -> None:
    with pytest.raises(InvalidParameter, match="at most 64"):
        normalize_subject({"organization": "x" * 65})


# --- the key pair ------------------------------------------------------------------------------


def test_a_key_pair_is_private_to_its_owner(tmp_path: Path) -> None:
    identity = FileClientIdentity(tmp_path)
    identity.create_key_pair({"organization": "Example"})
    assert identity.key_file == tmp_path / "kmip" / "client.key"
    assert _mode(tmp_path / "kmip") == 0o700
    assert _mode(identity.key_file) == 0o600
    assert identity.load_private_key().key_size == 2048
    stored = json.loads((tmp_path / "kmip" / "subject.json").read_text())
    assert stored == {"commonName": "strongroom", "organization": "Example"}
    assert sorted(p.name for p in (tmp_path / "kmip").iterdir()) == ["client.key", "subject.json"]


def test_a_new_key_pair_replaces_the_old_one(tmp_path: Path) -> None:
    identity = FileClientIdentity(tmp_path)
    identity.create_key_pair({})
    before = _public_der(identity)
    identity.create_key_pair({"commonName": "other"})
    assert _public_der(identity) != before
    assert identity.subject() == {"commonName": "other"}
    assert _mode(identity.key_file) == 0o600


def test_a_bad_subject_leaves_the_key_pair_alone(tmp_path: Path) -> None:
    identity = FileClientIdentity(tmp_path)
    identity.create_key_pair({"country": "US"})
    before = _public_der(identity)
    with pytest.raises(InvalidParameter):
        identity.create_key_pair({"country": "United States"})
    assert _public_der(identity) == before
    assert identity.subject()["country"] == "US"


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    identity = FileClientIdentity(tmp_path)
    identity.create_key_pair({})
    identity.key_file.chmod(0o640)
    with pytest.raises(PermissionError, match="chmod 600"):
        identity.certificate_sign_request()


def test_the_csr_makes_a_key_pair_when_there_is_none(tmp_path: Path) -> None:
    identity = FileClientIdentity(tmp_path)
    csr = x509.load_pem_x509_csr(identity.certificate_sign_request().encode())
    assert csr.is_signature_valid
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "strongroom"
    assert csr.signature_hash_algorithm is not None
    assert csr.signature_hash_algorithm.name == "sha256"
    assert identity.key_file.exists()


def test_the_csr_is_for_the_current_key_and_subject(tmp_path: Path) -> None:
    identity = FileClientIdentity(tmp_path)
    identity.create_key_pair({"commonName": "kms-1", "country": "de"})
    csr = x509.load_pem_x509_csr(identity.certificate_sign_request().encode())
    spki = csr.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert spki == _public_der(identity)
    assert csr.subject.rfc4514_string() == "CN=kms-1,C=DE"


# --- words for TLS failures --------------------------------------------------------------------


def _verification_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, f"certificate verify failed: {message}")
    error.verify_code = code
    error.verify_message = message
    return error


def test_an_untrusted_server_certificate_says_so() -> None:
    error = _verification_error(20, "unable to get local issuer certificate")
    assert describe_ssl_error(error, "kmip").startswith(
        "the server certificate is not signed by the key server's CA certificate"
    )


def test_a_host_name_mismatch_names_the_host() -> None:
    error = _verification_error(62, "Hostname mismatch")
    assert describe_ssl_error(error, "kmip.example") == (
        "the server certificate is not valid for host name kmip.example"
    )


def test_an_alert_refusing_the_client_certificate_says_so() -> None:
    error = ssl.SSLError(1, "[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca")
    error.reason = "TLSV1_ALERT_UNKNOWN_CA"
    refusal = client_refusal(error)
    assert refusal is not None
    assert refusal.startswith("the server refused the client certificate")
    assert describe_ssl_error(error, "kmip") == refusal


def test_other_errors_are_not_refusals() -> None:
    assert client_refusal(ConnectionResetError()) is None
    assert "timed out" in describe_ssl_error(TimeoutError(), "kmip")
