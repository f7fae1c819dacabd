"""EKMS private endpoint input: addresses, ports, CA bundles; and the CA bundle check."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.crypto.providers.ekm_client.tls import check_ca_bundle
from strongroom.domain.ekms_private_endpoint import (
    DEFAULT_PORT,
    MAX_CA_BUNDLE,
    require_ca_bundle_text,
    require_ip,
    require_port,
)
from strongroom.domain.errors import InvalidParameter
from tests.tls_support import make_tls

BEGIN = "-----BEGIN CERTIFICATE-----\n"


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("10.0.0.7", "10.0.0.7"), ("2001:DB8:0:0::1", "2001:db8::1"), ("::1", "::1")],
)
def test_addresses_are_kept_in_canonical_form(given: str, canonical: str) -> None:
    assert require_ip(given, "ip") == canonical


@pytest.mark.parametrize("bad", ["", "10.0.0", "256.1.1.1", "ekm.example", " 10.0.0.1", 7, None])
def test_anything_but_an_address_is_refused(bad: object) -> None:
    with pytest.raises(InvalidParameter, match="ip must be an IP address"):
        require_ip(bad, "ip")


def test_ports() -> None:
    assert require_port(None, "port") == DEFAULT_PORT
    assert require_port(1, "port") == 1
    assert require_port(65535, "port") == 65535
    for bad in (0, 65536, -1, True, "443", 443.0):
        with pytest.raises(InvalidParameter, match="port must be a port number"):
            require_port(bad, "port")


def test_ca_bundle_text() -> None:
    assert require_ca_bundle_text(BEGIN, "caBundle") == BEGIN
    for bad in (None, "", "MIIB...", 5):
        with pytest.raises(InvalidParameter, match="PEM certificates"):
            require_ca_bundle_text(bad, "caBundle")
    with pytest.raises(InvalidParameter, match="at most"):
        require_ca_bundle_text(BEGIN + "A" * MAX_CA_BUNDLE, "caBundle")


def test_only_ca_certificates_make_a_bundle(tmp_path: Path) -> None:
    pki = make_tls(tmp_path)
    check_ca_bundle(pki.ca_pem)
    check_ca_bundle(pki.ca_pem + make_tls(tmp_path / "other").ca_pem)
    with pytest.raises(ValueError, match="not a CA certificate"):
        check_ca_bundle(pki.cert.read_text())
    for bad in (BEGIN + "AAAA\n-----END CERTIFICATE-----\n", "no pem here", "caf\u00e9"):
        with pytest.raises(ValueError, match="not a bundle of PEM certificates"):
            check_ca_bundle(bad)
    with pytest.raises(ValueError, match="more than 64"):
        check_ca_bundle(pki.ca_pem * 65)
