"""Faults in secret replication between real ``strongroom serve`` processes: the source region
killed with SIGKILL mid-stream of updates, a target killed or down during many updates, writes
forwarded while the source is down, replication calls from an unauthenticated or unknown
region; and the README's flow with the real ``oci`` CLI (update, then wait for the work
request). The tests share one realm (module scope)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from oci.vault import models as vm

from tests.helpers import b64e
from tests.integration.cli_support import oci_cli
from tests.integration.realm_support import wait_for
from tests.integration.secret_replication_support import (
    FRANKFURT,
    TOKYO,
    SecretRealm,
    secret_realm,
)
from tests.integration.secret_support import content, error, read, versions

pytestmark = pytest.mark.postgres
HOME = "us-ashburn-1"
BOTH = (TOKYO, FRANKFURT)


@pytest.fixture(scope="module")
def sr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretRealm]:
    with secret_realm(tmp_path_factory.mktemp("secret-faults")) as made:
        yield made


def _updates(sr: SecretRealm, secret_id: str, prefix: str, count: int) -> dict[int, bytes]:
    """``count`` new versions through the source: version number -> content."""
    acked = {}
    client = sr.vaults(HOME)
    for n in range(count):
        data = f"{prefix}-{n}".encode()
        answer = client.update_secret(
            secret_id, vm.UpdateSecretDetails(secret_content=content(data))
        )
        acked[answer.data.current_version_number] = data
    return acked


def _converged(
    sr: SecretRealm, secret_id: str, acked: dict[int, bytes], timeout: float = 30
) -> None:
    """Every replica has the source's newest version and etag, and every acknowledged
    version's content is there, in the source and in each replica."""
    source = sr.vaults(HOME).get_secret(secret_id)
    latest = source.data.current_version_number
    for name in BOTH:
        sr.replica(name, secret_id, timeout, current_version_number=latest)
        assert sr.vaults(name).get_secret(secret_id).headers["etag"] == source.headers["etag"]
        assert read(sr.bundles(name), secret_id) == acked[latest]
        assert versions(sr.vaults(name), secret_id) == versions(sr.vaults(HOME), secret_id)
    for number, data in acked.items():
        assert read(sr.bundles(HOME), secret_id, version_number=number) == data
        for name in BOTH:
            assert read(sr.bundles(name), secret_id, version_number=number) == data


def test_the_source_killed_mid_stream_converges_and_loses_nothing(sr: SecretRealm) -> None:
    made, _ = sr.create(b"k-0")
    acked = {1: b"k-0"}
    acked |= _updates(sr, made.id, "before", 15)
    sr.home.kill()  # right after the last acknowledgement: shipping is behind
    sr.home.start()
    acked |= _updates(sr, made.id, "after", 5)
    assert sr.vaults(HOME).get_secret(made.id).data.current_version_number == 21
    _converged(sr, made.id, acked)


def test_a_target_killed_mid_stream_catches_up(sr: SecretRealm) -> None:
    made, _ = sr.create(b"t-0")
    frankfurt = sr.region(FRANKFURT)
    acked = {1: b"t-0"} | _updates(sr, made.id, "before", 10)
    frankfurt.kill()
    acked |= _updates(sr, made.id, "during", 10)
    frankfurt.start()
    acked |= _updates(sr, made.id, "after", 3)
    _converged(sr, made.id, acked)


def test_a_target_down_during_50_updates_catches_up(sr: SecretRealm) -> None:
    made, _ = sr.create(b"d-0")
    sr.replica(TOKYO, made.id)
    tokyo = sr.region(TOKYO)
    tokyo.stop()
    try:
        acked = {1: b"d-0"} | _updates(sr, made.id, "down", 50)
        status = {i["targetRegion"]: i for i in sr.replication_status(made.id)}
        assert status[TOKYO]["state"] in ("PENDING", "FAILED"), status
    finally:
        tokyo.start()
    latest = sr.vaults(HOME).get_secret(made.id).data.current_version_number
    sr.replica(TOKYO, made.id, 40, current_version_number=latest)
    assert read(sr.bundles(TOKYO), made.id) == b"down-49"
    status = {i["targetRegion"]: i for i in sr.replication_status(made.id)}
    assert status[TOKYO]["state"] == "IN_SYNC", status
    # Versions the source deleted meanwhile (a secret keeps 30 in use) are listed there too.
    assert set(versions(sr.vaults(HOME), made.id)) == set(versions(sr.vaults(TOKYO), made.id))
    newest = max(acked)
    kept = {n: data for n, data in acked.items() if n > newest - 30}  # contents still there
    _converged(sr, made.id, kept, timeout=40)


def test_forwarding_while_the_source_is_down_answers_503_and_changes_nothing(
    sr: SecretRealm,
) -> None:
    made, work_request_id = sr.create(b"fw-1", forward=True)
    assert work_request_id
    sr.work_request(HOME, work_request_id)
    before = sr.replica(TOKYO, made.id)
    etag = sr.vaults(TOKYO).get_secret(made.id).headers["etag"]
    sr.home.stop()
    try:
        message = error(
            sr.vaults(TOKYO).update_secret,
            made.id,
            vm.UpdateSecretDetails(secret_content=content(b"fw-2"), description="never"),
            status=503,
        )
        assert HOME in message, message
        replica = sr.vaults(TOKYO).get_secret(made.id)  # reads go on
        assert replica.headers["etag"] == etag
        assert read(sr.bundles(TOKYO), made.id) == b"fw-1"
    finally:
        sr.home.start()
    source = sr.vaults(HOME).get_secret(made.id).data
    assert source.current_version_number == 1 and not source.description
    assert read(sr.bundles(HOME), made.id) == b"fw-1"
    assert sr.vaults(TOKYO).get_secret(made.id).data.current_version_number == 1
    assert before.current_version_number == 1


def test_replication_calls_from_unauthenticated_or_unknown_regions_are_refused(
    sr: SecretRealm,
) -> None:
    made, _ = sr.create(b"genuine")
    tokyo = sr.region(TOKYO)
    forged_state = {"id": made.id, "description": "forged"}
    body = {
        "source": HOME,
        "stream": "secrets",
        "entries": [{"seq": 10**6, "secretId": made.id, "state": forged_state}],
    }
    url = f"{tokyo.url}/_strongroom/realm/v1/apply"
    answer = httpx.post(url, json=body, timeout=10)
    assert answer.status_code == 401, answer.text
    assert answer.json()["code"] == "NotAuthenticated"
    unknown = {"authorization": 'Signature keyId="realm/eu-paris-1/' + ":".join(["ab"] * 16)}
    answer = httpx.post(url, json={**body, "source": "eu-paris-1"}, headers=unknown, timeout=10)
    assert answer.status_code == 401, answer.text
    replica = sr.replica(TOKYO, made.id)
    assert not replica.description
    assert read(sr.bundles(TOKYO), made.id) == b"genuine"


# -- the README's flow with the real oci CLI ------------------------------------------------

CLI = oci_cli()


def _oci(sr: SecretRealm, region: str, *args: str) -> Any:
    env = dict(
        os.environ,
        OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING="True",
        SUPPRESS_LABEL_WARNING="True",
    )
    assert CLI is not None
    config_file = sr.home.data_dir / "oci" / "config"
    done = subprocess.run(
        [CLI, "--config-file", str(config_file), "--endpoint", sr.region(region).url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


@pytest.mark.skipif(CLI is None, reason="the oci CLI is not installed")
def test_the_readme_flow_with_the_oci_cli(sr: SecretRealm) -> None:
    made, first_request = sr.create(b"cli-1")
    assert first_request
    sr.work_request(HOME, first_request)
    updated = _oci(
        sr,
        HOME,
        "vault",
        "secret",
        "update-base64",
        "--secret-id",
        made.id,
        "--secret-content-content",
        b64e(b"cli-2"),
        "--wait-for-state",
        "ACTIVE",
    )
    assert updated["data"]["current-version-number"] == 2
    # The CLI prints the data and etag only, not opc-work-request-id: list by resource.
    assert "opc-work-request-id" not in updated
    listed = _oci(
        sr,
        HOME,
        "work-requests",
        "work-request",
        "list",
        "--compartment-id",
        sr.tenancy,
        "--resource-id",
        made.id,
        "--all",
    )
    newest = max(listed["data"], key=lambda w: w["time-accepted"])
    work_request_id = newest["id"]
    assert work_request_id != first_request

    # The CLI's `work-request get` has no --wait-for-state (README shows one): poll it.
    def succeeded() -> Any:
        got = _oci(sr, HOME, "work-requests", "work-request", "get", "--work-request-id", wr)
        return got if got["data"]["status"] == "SUCCEEDED" else None

    wr = work_request_id
    done = wait_for(succeeded, 60, "work request SUCCEEDED through the CLI")
    assert done["data"]["status"] == "SUCCEEDED"
    assert done["data"]["percent-complete"] == 100.0
    for name in BOTH:
        sr.replica(name, made.id, current_version_number=2)
        assert read(sr.bundles(name), made.id) == b"cli-2"
