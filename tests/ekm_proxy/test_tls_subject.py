"""``serve --tls-client-subject``: a mutual-TLS client certificate from the right CA must also
carry a pinned name (subject CN or subjectAltName DNS name), else the connection is closed
before any request is read, and the log says why."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from strongroom.ekm_proxy.tls_subject import certificate_names, subject_allowed
from tests.ekm_support import init_proxy, run_cli
from tests.helpers import free_port
from tests.tls_support import TlsFiles, client_certificate, make_tls

PEERCERT = {
    "subject": ((("countryName", "FR"),), (("commonName", "strongroom"),)),
    "subjectAltName": (("DNS", "Vault.Example"), ("IP Address", "10.0.0.1")),
}


def test_names_are_the_subject_cn_and_dns_alt_names() -> None:
    assert certificate_names(PEERCERT) == ["strongroom", "Vault.Example"]
    assert certificate_names(None) == [] and certificate_names({}) == []


@pytest.mark.parametrize(
    ("allowed", "expected"),
    [
        ({"strongroom"}, True),
        ({"vault.example"}, True),  # DNS names and CNs match without regard to case
        ({"10.0.0.1"}, False),  # IP addresses are not names
        ({"fr"}, False),  # other subject attributes do not count
        ({"strongroom.example"}, False),
        ({"*.example"}, False),  # no wildcards
        (set(), False),
    ],
)
def test_subject_allowed(allowed: set[str], expected: bool) -> None:
    assert subject_allowed(PEERCERT, frozenset(allowed)) is expected


def test_no_certificate_is_never_allowed() -> None:
    assert not subject_allowed(None, frozenset({"strongroom"}))


def _get(tls: TlsFiles, url: str, cert: tuple[Path, Path]) -> httpx.Response:
    context = ssl.create_default_context(cafile=str(tls.ca_file))
    context.load_cert_chain(*cert)
    return httpx.get(url, verify=context, timeout=5)


def test_a_certificate_from_the_right_ca_with_another_subject_is_closed(tmp_path: Path) -> None:
    proxy = init_proxy(tmp_path, "software", tls=True, keys=1)
    proxy.mutual_tls = True
    proxy.client_subjects = ("strongroom", "svc.example")
    proxy.start()  # ready: tls.client_cert's CN is strongroom
    try:
        assert proxy.tls is not None
        url = proxy.base_url + "/health"
        intruder = client_certificate(proxy.tls, "intruder", "intruder")
        with pytest.raises(httpx.HTTPError):
            _get(proxy.tls, url, intruder)
        by_dns = client_certificate(proxy.tls, "by-dns", "someone", ("SVC.example",))
        assert _get(proxy.tls, url, by_dns).status_code == 200
        assert proxy.health().status_code == 200
        log = proxy.log_tail()
        assert "intruder" in log and "matches no --tls-client-subject" in log
        assert "someone" not in log
    finally:
        proxy.stop()


def test_a_subject_without_a_client_ca_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "ekm"
    run_cli("init", "--data-dir", str(data_dir), "--backend", "software")
    tls = make_tls(tmp_path / "tls")
    args = ["serve", "--data-dir", str(data_dir), "--port", str(free_port())]
    args += ["--tls-cert", str(tls.cert), "--tls-key", str(tls.key)]
    refused = run_cli(*args, "--tls-client-subject", "strongroom", check=False)
    assert refused.returncode == 2
    assert "--tls-client-subject needs --tls-client-ca" in refused.stderr
    empty = run_cli(
        *args, "--tls-client-ca", str(tls.ca_file), "--tls-client-subject", " ", check=False
    )
    assert empty.returncode == 2 and "--tls-client-subject needs a name" in empty.stderr
