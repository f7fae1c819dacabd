"""``GET /metrics``: scraped from a real server with the Prometheus text parser, signed on the
main listener (refused in OCI's error format without a signature or a policy), and on the
loopback-only ``serve --metrics-port`` listener; bad ``--metrics-port`` values refused."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import oci
import pytest
import requests
from oci.key_management import KmsCryptoClient
from oci.key_management import models as m
from prometheus_client.parser import text_string_to_metric_families

from strongroom.app import initialize
from tests.ekm_support import running_proxy
from tests.helpers import b64e, free_port
from tests.integration import cli_support, support
from tests.integration.external_support import (
    TEST_TIMEOUT,
    ekm_settings,
    external_key,
    open_vault,
    xks_metadata,
)
from tests.integration.iam_support import Iam, iam_session
from tests.integration.support import Raw, Server

# Every family a scrape shows, whatever has happened yet.
FAMILIES = {
    "strongroom_requests",
    "strongroom_request_duration_seconds",
    "strongroom_authorization_denials",
    "strongroom_ekm_call_duration_seconds",
    "strongroom_ekm_call_errors",
    "strongroom_ekm_circuit_open",
    "strongroom_audit_queue_depth",
    "strongroom_audit_events_dropped",
    "strongroom_cache_hits",
    "strongroom_cache_misses",
    "strongroom_background_job_last_success_timestamp_seconds",
    "strongroom_background_job_lag_seconds",
    "strongroom_background_job_failures",
    "strongroom_barrier_sealed",
}


@pytest.fixture
def iam(server: Server, tmp_path: Path) -> Iterator[Iam]:
    with iam_session(server, tmp_path) as helper:
        yield helper


class Scrape:
    """One scrape, parsed by prometheus_client's text parser."""

    def __init__(self, text: str) -> None:
        self.families = {f.name: f for f in text_string_to_metric_families(text)}

    def value(self, sample: str, **labels: str) -> float:
        """The value of the sample named ``sample`` with ``labels`` (0 when there is none)."""
        for family in self.families.values():
            for found in family.samples:
                if found.name == sample and found.labels == labels:
                    return float(found.value)
        return 0.0


def _scrape(raw: Raw) -> Scrape:
    response = raw.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["opc-request-id"]
    return Scrape(response.text)


def _encrypt(crypto: KmsCryptoClient, key: m.Key) -> None:
    crypto.encrypt(m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"metrics")))


def test_a_signed_scrape_counts_sdk_calls_denials_and_shows_the_state(
    server: Server, raw: Raw, iam: Iam, vault: m.Vault, crypto: KmsCryptoClient, aes_key: m.Key
) -> None:
    _, outsider = iam.member()  # a user no policy names
    before = _scrape(raw)
    for _ in range(3):
        _encrypt(crypto, aes_key)
    with pytest.raises(oci.exceptions.ServiceError) as refused:
        _encrypt(outsider.crypto(vault), aes_key)
    assert refused.value.status == 404
    after = _scrape(raw)

    assert after.families.keys() >= FAMILIES
    ok = {"api": "oci", "operation": "Encrypt", "status": "200"}
    denied = {**ok, "status": "404"}

    def added(sample: str, **labels: str) -> float:
        return after.value(sample, **labels) - before.value(sample, **labels)

    assert added("strongroom_requests_total", **ok) == 3
    assert added("strongroom_requests_total", **denied) == 1
    assert added("strongroom_request_duration_seconds_count", **ok) == 3
    assert added("strongroom_request_duration_seconds_bucket", **ok, le="+Inf") == 3
    assert added("strongroom_request_duration_seconds_sum", **ok) > 0
    assert added("strongroom_authorization_denials_total", operation="Encrypt") == 1
    # The first scrape itself was counted (the second is answered after it is recorded).
    scrapes = {"api": "oci", "operation": "GetMetrics", "status": "200"}
    assert after.value("strongroom_requests_total", **scrapes) >= 1
    # Each signed call looks its API key up in the credentials cache; the key's rows in use.
    assert added("strongroom_cache_hits_total", cache="credentials") >= 4
    assert added("strongroom_cache_hits_total", cache="keys_in_use") >= 2
    assert added("strongroom_audit_events_dropped_total") == 0


def test_an_unsigned_or_unauthorized_scrape_is_refused_in_ocis_format(
    server: Server, raw: Raw, iam: Iam
) -> None:
    unsigned = raw.get("/metrics", signed=False)
    support.assert_oci_error(unsigned, 401, "NotAuthenticated")
    assert "strongroom_" not in unsigned.text

    group, person = iam.member()
    url = f"{server.url}/metrics"
    as_person = support.signer_for(person.config)
    refused = requests.get(url, auth=as_person, timeout=30)
    support.assert_oci_error(refused, 404, "NotAuthorizedOrNotFound")
    assert "strongroom_" not in refused.text
    denials = _scrape(raw).value("strongroom_authorization_denials_total", operation="GetMetrics")
    assert denials >= 1

    iam.policy(f"Allow group {group.name} to read metrics in tenancy")
    allowed = requests.get(url, auth=as_person, timeout=30)
    assert allowed.status_code == 200, allowed.text
    assert Scrape(allowed.text).families.keys() >= FAMILIES


def test_ekm_calls_errors_and_the_circuit_are_shown_per_external_vault(
    server: Server, raw: Raw, tmp_path: Path
) -> None:
    vaults = support.vault_client(server.config, server.url)
    with (
        ekm_settings(server, timeout_seconds=TEST_TIMEOUT),
        running_proxy(tmp_path, "software", keys=1) as proxy,
    ):
        ext = open_vault(server, vaults, xks_metadata(proxy), proxy)
        key = external_key(ext.kms, server.tenancy, proxy.key_ids[0])
        for _ in range(2):
            _encrypt(ext.crypto, key)
        vault = {"vault": ext.vault.id}
        served = _scrape(raw)
        encrypts = {**vault, "operation": "encrypt"}
        assert served.value("strongroom_ekm_call_duration_seconds_count", **encrypts) == 2
        assert served.value("strongroom_ekm_circuit_open", **vault) == 0

        proxy.stop()  # refused connections: the breaker opens after five failures in a row
        for _ in range(6):
            with pytest.raises(oci.exceptions.ServiceError) as failed:
                _encrypt(ext.crypto, key)
            assert failed.value.status == 503
        down = _scrape(raw)
    unavailable = {**encrypts, "error": "Unavailable"}
    assert down.value("strongroom_ekm_call_errors_total", **unavailable) == 6
    assert down.value("strongroom_ekm_call_duration_seconds_count", **encrypts) == 8
    assert down.value("strongroom_ekm_circuit_open", **vault) == 1


def test_openmetrics_is_served_when_the_scraper_prefers_it(raw: Raw) -> None:
    accept = "application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5"
    response = raw.get("/metrics", headers={"accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


def test_metrics_port_serves_them_unauthenticated_on_loopback(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    initialize(data_dir, support.REGION)
    port, metrics_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    args = ("--port", str(port), "--metrics-port", str(metrics_port))
    with cli_support.serving(data_dir, log, *args) as process:
        cli_support.wait_serving(process, url, log)
        config: dict[str, Any] = oci.config.from_file(str(data_dir / "oci" / "config"))
        support.vault_client(config, url).list_vaults(config["tenancy"])
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10)
        assert scraped.status_code == 200, scraped.text
        # The main listener still wants a signature.
        support.assert_oci_error(httpx.get(f"{url}/metrics"), 401, "NotAuthenticated")
    assert (
        f"Metrics (Prometheus, unauthenticated, this host only) at http://127.0.0.1:{metrics_port}/metrics"
        in log.read_text()
    )
    scrape = Scrape(scraped.text)
    assert scrape.families.keys() >= FAMILIES
    listed = {"api": "oci", "operation": "ListVaults", "status": "200"}
    assert scrape.value("strongroom_requests_total", **listed) == 1
    assert scrape.value("strongroom_barrier_sealed") == 0
    assert scrape.value("process_resident_memory_bytes") > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--metrics-port", "0"), "--metrics-port must be between 1 and 65535"),
        (("--metrics-port", "70000"), "--metrics-port must be between 1 and 65535"),
        (("--metrics-port", "nine"), "Invalid value for '--metrics-port'"),
        (("--port", "8300", "--metrics-port", "8300"), "--metrics-port must differ from --port"),
        (
            ("--metrics-port", "9464", "--metrics-host", "0.0.0.0"),
            "Refusing to serve metrics on 0.0.0.0: the metrics listener is unauthenticated",
        ),
    ],
    ids=["zero", "too-large", "not-a-number", "the-main-port", "not-loopback"],
)
def test_bad_metrics_port_values_are_refused_clearly(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = cli_support.run("serve", "--data-dir", str(tmp_path / "none"), *args)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_a_metrics_port_in_use_is_refused_before_serving(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    initialize(data_dir, support.REGION)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        metrics_port = taken.getsockname()[1]
        args = ("--port", str(free_port()), "--metrics-port", str(metrics_port))
        result = cli_support.run("serve", "--data-dir", str(data_dir), *args)
    assert result.returncode == 2
    expected = f"127.0.0.1:{metrics_port} is in use; choose another --metrics-port"
    assert expected in result.stderr
    assert "serving at" not in result.stdout + result.stderr
