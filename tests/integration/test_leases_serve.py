"""Two ``strongroom serve`` processes on one PostgreSQL schema: each lease has one holder, seen
through /healthz and ``strongroom leases``; kill -9 the scheduler's holder and the other
process takes the lease over within LEASE_SECONDS + RENEW_SECONDS."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from strongroom.services.leases import LEASE_SECONDS, RENEW_SECONDS
from tests.helpers import free_port
from tests.integration import cli_support, storage_support

pytestmark = pytest.mark.postgres
TAKEOVER = LEASE_SECONDS + RENEW_SECONDS


@pytest.fixture(scope="module")
def pg_engine() -> Iterator[Engine]:
    yield from storage_support.postgresql_engine()


def _scheduler(url: str, name: str = "scheduler") -> dict[str, Any] | None:
    """Lease ``name`` as the process at ``url`` shows it on /healthz."""
    answer = httpx.get(f"{url}/healthz", timeout=5)
    body = answer.json()
    assert answer.status_code == 200 and body["status"] == "ok"
    found = [lease for lease in body["leases"] if lease["name"] == name]
    return found[0] if found else None


def _wait_for(probe: Any, timeout: float) -> float:
    """Seconds until ``probe()`` is true; fail after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if probe():
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


def _leases_json(data: Path, database_url: str) -> dict[str, dict[str, Any]]:
    args = ("leases", "--data-dir", str(data), "--database-url", database_url, "-o", "json")
    done = cli_support.run(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return {r["name"]: r for r in map(json.loads, done.stdout.splitlines())}


def test_kill_9_of_the_holder_and_takeover(pg_engine: Engine, tmp_path: Path) -> None:
    database_url = pg_engine.url.render_as_string(hide_password=False)
    data_a, data_b = tmp_path / "a", tmp_path / "b"
    done = cli_support.run("init", "--data-dir", str(data_a), "--database-url", database_url)
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.copytree(data_a, data_b)
    port_a, port_b = free_port(), free_port()
    processes: dict[str, subprocess.Popen[bytes]] = {}
    with (
        cli_support.serving(data_a, tmp_path / "a.log", *_args(database_url, port_a)) as a,
        cli_support.serving(data_b, tmp_path / "b.log", *_args(database_url, port_b)) as b,
    ):
        for process, port, log in ((a, port_a, "a.log"), (b, port_b, "b.log")):
            url = f"http://127.0.0.1:{port}"
            cli_support.wait_serving(process, url, tmp_path / log)
            processes[url] = process
        urls = list(processes)
        _wait_for(lambda: _scheduler(urls[0]) is not None, 10)
        views = {url: _scheduler(url) for url in urls}
        holders = [url for url, view in views.items() if view and view["heldByThisProcess"]]
        assert len(holders) == 1, views  # one holder, seen alike by both
        holder_url = holders[0]
        (other_url,) = [url for url in urls if url != holder_url]
        held = views[holder_url]
        seen = views[other_url]
        assert held is not None and seen is not None and not seen["heldByThisProcess"]
        # Renewals move "expires" between the two reads; who and since stay.
        assert (seen["holder"], seen["since"]) == (held["holder"], held["since"])
        ekm = [_scheduler(url, "ekm-health") for url in urls]
        assert sum(1 for view in ekm if view and view["heldByThisProcess"]) == 1, ekm
        pid = processes[holder_url].pid
        assert held["holder"].split(":")[1] == str(pid)
        assert _leases_json(data_b, database_url)["scheduler"]["holder"] == held["holder"]

        processes[holder_url].send_signal(signal.SIGKILL)
        processes[holder_url].wait(timeout=10)
        killed_at = time.monotonic()

        last: list[object] = []

        def taken() -> bool:
            views = [_scheduler(other_url, name) for name in ("scheduler", "ekm-health")]
            last[:] = views
            return all(view is not None and view["heldByThisProcess"] for view in views)

        try:
            _wait_for(taken, TAKEOVER + 3)
        except AssertionError:
            raise AssertionError(f"{last}: {(tmp_path / 'b.log').read_text()}") from None
        took = time.monotonic() - killed_at
        assert took <= TAKEOVER + 3
        survivor = _leases_json(data_b, database_url)["scheduler"]
        assert survivor["state"] == "held" and survivor["holder"] != held["holder"]
        plain = cli_support.run("leases", "--data-dir", str(data_b), "--database-url", database_url)
        assert plain.returncode == 0 and survivor["holder"] in plain.stdout


def _args(database_url: str, port: int) -> tuple[str, ...]:
    return ("--database-url", database_url, "--port", str(port), "--log-level", "warning")
