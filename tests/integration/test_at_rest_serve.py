"""Encryption at rest on a running server: a sealed start that unseals by itself, kill -9 of
the server mid-rekey, the KMIP server killed mid-rekey, and two processes on one PostgreSQL
database (one rekey, every process reloads; internal management refused)."""

from __future__ import annotations

import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from strongroom.cli.element_client import ElementCallFailed
from tests.integration import storage_support
from tests.integration.at_rest_support import (
    Served,
    add_provider,
    encrypt_sample,
    health,
    serve,
    wait_for,
    wait_rekey,
)
from tests.kmip_server import KmipTestServer

pytest_plugins = ["tests.integration.kmip_fixtures"]

Factory = Callable[..., KmipTestServer]
REKEY = "RekeySoftwareEncryptionAtRestMasterKey"
# A rekey a dead process left running is finished once its lease expires (10 s + renewal).
RECOVERY = 30


def _start(served: Served, provider: int) -> int:
    """Start a rekey to KMIP key provider ``provider``; its async handle."""
    params = {"keyManagementType": "external", "keyProviderID": provider}
    return int(served.element.call(REKEY, params)["asyncHandle"])


def _external(served: Served, provider: int) -> dict[str, Any]:
    return wait_rekey(served, _start(served, provider))


def test_sealed_start_answers_503_and_unseals_when_the_kmip_server_returns(
    tmp_path: Path, kmip_server_factory: Factory
) -> None:
    kmip = kmip_server_factory()
    data = tmp_path / "data"
    with serve(data, tmp_path / "first.log") as served:
        sample = encrypt_sample(data, served.url)
        assert "result" in _external(served, add_provider(served, kmip))
    kmip.stop()
    with serve(data, tmp_path / "sealed.log", sealed_ok=True) as served:
        status, body = health(served)
        assert (status, body["sealed"]) == (503, True), body
        assert "Cannot fetch master key" in body["reason"], body
        assert "connection refused" in body["reason"], body
        answer = httpx.get(f"{served.url}/20180608/vaults", params={"compartmentId": "x"})
        assert answer.status_code == 503
        assert answer.json()["code"] == "ServiceUnavailable"
        assert "sealed" in answer.json()["message"]
        info = served.element.call("GetSoftwareEncryptionAtRestInfo", {})  # still answers
        assert info["masterKeyInfo"]["keyManagementType"] == "external"
        assert "stays sealed" in served.log_text() or "sealed" in served.log_text()
        kmip.start()
        wait_for(lambda: health(served)[0] == 200, 10, served)  # no restart
        assert sample.decrypt(data, served.url) == sample.plaintext


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15])
def test_kill_9_of_the_server_mid_rekey_completes_or_rolls_back(
    tmp_path: Path, kmip_server_factory: Factory, delay: float
) -> None:
    kmip = kmip_server_factory()
    data = tmp_path / "data"
    with serve(data, tmp_path / "first.log") as served:
        sample = encrypt_sample(data, served.url)
        first, second = add_provider(served, kmip, "one"), add_provider(served, kmip, "two")
        _external(served, first)
        handle = _start(served, second)
        time.sleep(delay)
        served.process.send_signal(signal.SIGKILL)
        served.process.wait()
    with serve(data, tmp_path / "second.log") as served:
        result = wait_rekey(served, handle, RECOVERY)
        info = served.element.call("GetSoftwareEncryptionAtRestInfo", {})
        key = info["masterKeyInfo"]
        if "error" in result:  # rolled back: the first provider's key stays
            assert key["keyProviderID"] == first, (result, info)
        else:
            assert key["keyProviderID"] == second, (result, info)
            assert result["result"]["newKey"]["keyID"] == key["keyID"]
        assert health(served)[1]["masterKeyID"] == key["keyID"]
        assert sample.decrypt(data, served.url) == sample.plaintext
    with serve(data, tmp_path / "third.log") as served:  # and it unseals again
        assert sample.decrypt(data, served.url) == sample.plaintext


def test_kmip_server_killed_mid_rekey_then_restarted(
    tmp_path: Path, kmip_server_factory: Factory
) -> None:
    kmip = kmip_server_factory()
    data = tmp_path / "data"
    with serve(data, tmp_path / "first.log") as served:
        sample = encrypt_sample(data, served.url)
        provider = add_provider(served, kmip)
        handle = _start(served, provider)
        kmip.kill()
        result = wait_rekey(served, handle)
        assert sample.decrypt(data, served.url) == sample.plaintext  # the running process serves on
        if "error" in result:
            assert "rolled back" in result["error"]["message"]
    kmip.start()
    with serve(data, tmp_path / "second.log") as served:
        assert sample.decrypt(data, served.url) == sample.plaintext


def test_rekey_to_an_untested_or_unknown_provider_is_refused(
    tmp_path: Path, kmip_server_factory: Factory
) -> None:
    kmip = kmip_server_factory()
    data = tmp_path / "data"
    with serve(data, tmp_path / "serve.log") as served:
        provider = add_provider(served, kmip)
        kmip.stop()
        with pytest.raises(ElementCallFailed, match="failed its test"):
            served.element.call(REKEY, {"keyManagementType": "external", "keyProviderID": provider})
        with pytest.raises(ElementCallFailed, match=r"does not exist|not found|NotFound"):
            served.element.call(REKEY, {"keyManagementType": "external", "keyProviderID": 999})
        info = served.element.call("GetSoftwareEncryptionAtRestInfo", {})
        assert info["masterKeyInfo"]["keyManagementType"] == "internal"


@pytest.fixture(scope="module")
def pg_engine() -> Iterator[Engine]:
    yield from storage_support.postgresql_engine()


@pytest.mark.postgres
def test_two_processes_one_rekey_both_reload(
    pg_engine: Engine, tmp_path: Path, kmip_server_factory: Factory
) -> None:
    database = ("--database-url", pg_engine.url.render_as_string(hide_password=False))
    kmip = kmip_server_factory()
    data_a, data_b = tmp_path / "a", tmp_path / "b"
    with serve(data_a, tmp_path / "init.log", *database) as served:
        sample = encrypt_sample(data_a, served.url)
        provider = add_provider(served, kmip)
    shutil.copytree(data_a, data_b)
    with (
        serve(data_a, tmp_path / "a.log", *database) as a,
        serve(data_b, tmp_path / "b.log", *database) as b,
    ):
        wait_for(lambda: _sees_other_process(a), 10, a)
        with pytest.raises(ElementCallFailed, match="KMIP key provider"):
            a.element.call(REKEY, {"keyManagementType": "internal"})
        before = health(b)[1]["masterKeyID"]
        result = _external(a, provider)
        new_key = result["result"]["newKey"]["keyID"]
        assert new_key != before
        wait_for(lambda: health(b)[1]["masterKeyID"] == new_key, 5, b)
        _external(b, provider)  # and the other way round, external -> external
        assert sample.decrypt(data_a, a.url) == sample.plaintext
        assert sample.decrypt(data_b, b.url) == sample.plaintext


def _sees_other_process(served: Served) -> bool:
    leases = health(served)[1]["leases"]
    return len([lease for lease in leases if lease["name"].startswith("process:")]) >= 2


def test_the_apis_keep_answering_through_back_to_back_rekeys(
    tmp_path: Path, kmip_server_factory: Factory
) -> None:
    kmip = kmip_server_factory()
    data = tmp_path / "data"
    with serve(data, tmp_path / "serve.log") as served:
        sample = encrypt_sample(data, served.url)
        one, two = add_provider(served, kmip, "one"), add_provider(served, kmip, "two")
        answers: list[str] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                try:
                    ok = sample.decrypt(data, served.url) == sample.plaintext
                    answers.append("ok" if ok else "wrong plaintext")
                except Exception as error:
                    answers.append(repr(error))

        worker = threading.Thread(target=load)
        worker.start()
        try:
            results = [_external(served, provider) for provider in (one, two, one, two)]
            internal = served.element.call(REKEY, {"keyManagementType": "internal"})
            results.append(wait_rekey(served, internal["asyncHandle"]))
        finally:
            stop.set()
            worker.join()
        assert all("result" in result for result in results), results
        assert answers and set(answers) == {"ok"}, [a for a in answers if a != "ok"][:3]


def test_a_kmip_server_lost_while_running_shows_in_healthz_and_the_log(
    tmp_path: Path, kmip_server_factory: Factory
) -> None:
    kmip = kmip_server_factory()
    data = tmp_path / "data"
    with serve(data, tmp_path / "serve.log") as served:
        sample = encrypt_sample(data, served.url)
        _external(served, add_provider(served, kmip))
        kmip.stop()

        def key_server() -> object:
            return health(served)[1].get("masterKey", {}).get("keyServer")

        wait_for(lambda: key_server() == "unreachable", 25, served)
        assert health(served)[0] == 200  # still unsealed, still serving
        assert sample.decrypt(data, served.url) == sample.plaintext
        assert "master key's KMIP server is unreachable" in served.log_text()
        kmip.start()
        wait_for(lambda: key_server() == "reachable", 25, served)
