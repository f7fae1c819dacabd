"""What the ``strongroom`` command shows its user: help, version, a taken port, log formats,
and an OCI config the official ``oci`` CLI uses without a warning."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
from pathlib import Path

import oci
import pytest

from strongroom.app import OCI_API_KEY_LABEL, initialize
from tests.helpers import free_port
from tests.integration import cli_support, support


@pytest.mark.parametrize("command", ["serve", "init"])
def test_help_lists_flags_without_a_type(command: str) -> None:
    result = cli_support.run(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "<bool>" not in result.stdout
    flags = [line.split() for line in result.stdout.splitlines() if "--help" in line]
    assert flags == [["--help", "Show", "this", "message", "and", "exit."]]
    assert "--data-dir <path>" in result.stdout  # an option that takes a value says which
    if command == "serve":
        assert "--init " in result.stdout and "--init <" not in result.stdout
        assert "--log-format <text|json>" in result.stdout


def test_version_prints_the_package_version() -> None:
    from importlib.metadata import version

    result = cli_support.run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"strongroom {version('strongroom')}"


def test_a_taken_port_is_refused_before_serving(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    initialize(data_dir, support.REGION)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli_support.run("serve", "--data-dir", str(data_dir), "--port", str(port))
    assert result.returncode == 2
    assert f"127.0.0.1:{port} is in use" in result.stderr
    assert "serving at" not in result.stdout + result.stderr
    assert "Errno" not in result.stderr

    # With --init, nothing is initialized either.
    fresh = tmp_path / "fresh"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli_support.run("serve", "--data-dir", str(fresh), "--init", "--port", str(port))
    assert result.returncode == 2 and "is in use" in result.stderr
    assert not fresh.exists()


def test_serve_logs_json_lines(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    initialize(data_dir, support.REGION)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with cli_support.serving(data_dir, log, "--port", str(port), "--log-format", "json") as process:
        cli_support.wait_serving(process, url, log)
        config = oci.config.from_file(str(data_dir / "oci" / "config"))
        vaults = support.vault_client(config, url)
        vaults.list_vaults(config["tenancy"])
        vaults.base_client.session.close()
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= set(entry), entry
    banner = next(e for e in entries if e["message"] == f"Strongroom serving at {url}")
    assert banner["url"] == url and banner["tenancy"] == config["tenancy"]
    assert any(e["logger"].startswith("uvicorn") for e in entries)


def test_the_oci_cli_uses_a_fresh_data_directory_without_warnings(tmp_path: Path) -> None:
    cli = cli_support.oci_cli()
    if cli is None:
        pytest.skip("the oci CLI is not installed (scripts/test.sh installs it in .venv)")
    data_dir = tmp_path / "data"
    assert cli_support.run("init", "--data-dir", str(data_dir)).returncode == 0
    config_file = data_dir / "oci" / "config"
    key_file = data_dir / "oci" / "oci_api_key.pem"
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().endswith("-----\n" + OCI_API_KEY_LABEL)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING", "SUPPRESS_LABEL_WARNING"}
    }
    tenancy = oci.config.from_file(str(config_file))["tenancy"]
    args = ("--endpoint", url, "kms", "management", "vault", "list", "--compartment-id", tenancy)
    with cli_support.serving(data_dir, log, "--port", str(port)) as process:
        cli_support.wait_serving(process, url, log)
        result = subprocess.run(
            [cli, "--config-file", str(config_file), *args, "--no-retry"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr.lower(), result.stderr
    assert "permission" not in result.stderr.lower(), result.stderr
    assert OCI_API_KEY_LABEL not in result.stderr
