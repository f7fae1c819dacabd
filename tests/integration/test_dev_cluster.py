"""``strongroom dev-cluster``: a realm of two regions on this machine, run as a real subprocess:
created, its OCI config, identity replicated home -> member, a killed region restarted, and
SIGINT stopping every region; bad input refused."""

from __future__ import annotations

import configparser
import os
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import oci
import pytest
from oci.identity import models as im

from tests.helpers import free_port, wait_healthy
from tests.integration import cli_support
from tests.integration.iam_support import identity_client, unique

HOME, MEMBER = "us-ashburn-1", "ap-tokyo-1"


def _two_free_ports() -> int:
    """A port P such that P and P+1 are both free."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise AssertionError("no two consecutive free ports")


def _eventually(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _pid(data_dir: Path, region: str) -> int | None:
    path = data_dir / region / "serve.pid"
    return int(path.read_text()) if path.exists() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, int, Path]]:
    """dev-cluster with HOME and MEMBER on two free ports: the process, DIR, base port, log."""
    data_dir, log, port = tmp_path / "cluster", tmp_path / "dev-cluster.log", _two_free_ports()
    args = ["dev-cluster", "--data-dir", str(data_dir), "--regions", f"{HOME},{MEMBER}"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*cli_support.command(), *args, "--base-port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, data_dir, port, log
    finally:
        pids = [_pid(data_dir, region) for region in (HOME, MEMBER)]
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for pid in pids:
            if pid is not None and _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _check_config(config_file: Path, data_dir: Path) -> dict[str, dict[str, Any]]:
    """DIR/oci/config: 0600, a profile per region and DEFAULT = home, same admin in each."""
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(config_file)
    assert parser.sections() == [HOME, MEMBER]
    assert parser.get("DEFAULT", "region") == HOME
    configs = {name: oci.config.from_file(str(config_file), name) for name in (HOME, MEMBER)}
    assert configs[HOME]["region"] == HOME and configs[MEMBER]["region"] == MEMBER
    for key in ("user", "fingerprint", "key_file", "tenancy"):
        assert configs[HOME][key] == configs[MEMBER][key]
    assert Path(configs[HOME]["key_file"]).is_file()
    assert Path(configs[HOME]["key_file"]).is_relative_to(data_dir / HOME)
    return configs


def test_dev_cluster_serves_replicates_restarts_and_stops(
    cluster: tuple[subprocess.Popen[bytes], Path, int, Path],
) -> None:
    process, data_dir, port, log = cluster
    home_url, member_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"
    _eventually(lambda: "Ctrl-C" in log.read_text() or process.poll() is not None, 60, "start")
    assert process.poll() is None, log.read_text()
    wait_healthy(home_url, timeout=5)
    wait_healthy(member_url, timeout=5)
    text = log.read_text()
    assert f"{HOME} (home)  {home_url}  data {data_dir / HOME}" in text
    assert f"--profile {MEMBER} --endpoint {member_url}" in text
    configs = _check_config(data_dir / "oci" / "config", data_dir)

    tenancy = configs[HOME]["tenancy"]
    name = unique("dev-cluster")
    identity_client(configs[HOME], home_url).create_user(
        im.CreateUserDetails(compartment_id=tenancy, name=name, description="replicated")
    )
    member = identity_client(configs[MEMBER], member_url)
    _eventually(
        lambda: name in {u.name for u in member.list_users(compartment_id=tenancy).data},
        10,
        "the user in the member region",
    )

    killed = _pid(data_dir, MEMBER)
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    _eventually(lambda: _pid(data_dir, MEMBER) not in (None, killed), 15, "a restart")
    wait_healthy(member_url, timeout=20)
    assert "restarted" in log.read_text()

    children = [_pid(data_dir, HOME), _pid(data_dir, MEMBER)]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0, log.read_text()
    for pid in children:
        assert pid is not None and not _alive(pid)
    assert _pid(data_dir, HOME) is None and _pid(data_dir, MEMBER) is None


@pytest.mark.parametrize(
    ("regions", "message"),
    [
        ("us-ashburn-1,Tokyo", "'Tokyo' is not a region identifier"),
        ("us-ashburn-1,ap-tokyo-1,us-ashburn-1", "us-ashburn-1 more than once"),
        (" , ", "names no region"),
    ],
)
def test_dev_cluster_refuses_bad_regions(tmp_path: Path, regions: str, message: str) -> None:
    done = cli_support.run("dev-cluster", "--data-dir", str(tmp_path / "c"), "--regions", regions)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert not (tmp_path / "c").exists()


def test_dev_cluster_refuses_a_taken_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli_support.run(
            "dev-cluster", "--data-dir", str(tmp_path / "c"), "--regions", HOME,
            "--base-port", str(port),
        )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"port {port} for {HOME} is not free" in done.stderr
