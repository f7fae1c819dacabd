"""The official ``oci`` CLI manages vaults and keys and runs crypto against a real server."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from tests.integration.cli_support import oci_cli
from tests.integration.support import Server

CLI = oci_cli()

pytestmark = pytest.mark.skipif(
    CLI is None,
    reason="the oci CLI is not installed (scripts/test.sh installs it in .venv)",
)


def oci(server: Server, *args: str, expect_ok: bool = True) -> Any:
    env = dict(
        os.environ,
        OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING="True",
        SUPPRESS_LABEL_WARNING="True",
    )
    assert CLI is not None
    result = subprocess.run(
        [CLI, "--config-file", str(server.config_file), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    if expect_ok:
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None
    assert result.returncode != 0
    return result.stderr


def test_vault_key_and_crypto_life_cycle_through_the_cli(server: Server) -> None:
    vault = oci(
        server,
        "--endpoint",
        server.url,
        "kms",
        "management",
        "vault",
        "create",
        "--compartment-id",
        server.tenancy,
        "--display-name",
        "cli",
        "--vault-type",
        "DEFAULT",
    )["data"]
    management, crypto = vault["management-endpoint"], vault["crypto-endpoint"]
    key = oci(
        server,
        "kms",
        "management",
        "key",
        "create",
        "--endpoint",
        management,
        "--compartment-id",
        server.tenancy,
        "--display-name",
        "cli-key",
        "--key-shape",
        '{"algorithm":"AES","length":32}',
        "--protection-mode",
        "SOFTWARE",
    )["data"]
    sealed = oci(
        server,
        "kms",
        "crypto",
        "encrypt",
        "--endpoint",
        crypto,
        "--key-id",
        key["id"],
        "--plaintext",
        "aGVsbG8gY2xp",
    )["data"]["ciphertext"]
    oci(
        server,
        "kms",
        "management",
        "key-version",
        "create",
        "--endpoint",
        management,
        "--key-id",
        key["id"],
    )
    opened = oci(
        server,
        "kms",
        "crypto",
        "decrypt",
        "--endpoint",
        crypto,
        "--key-id",
        key["id"],
        "--ciphertext",
        sealed,
    )["data"]["plaintext"]
    assert opened == "aGVsbG8gY2xp"

    listed = oci(
        server,
        "kms",
        "management",
        "key",
        "list",
        "--endpoint",
        management,
        "--compartment-id",
        server.tenancy,
        "--all",
    )["data"]
    assert key["id"] in {k["id"] for k in listed}

    oci(
        server,
        "kms",
        "management",
        "key",
        "disable",
        "--endpoint",
        management,
        "--key-id",
        key["id"],
    )
    refused = oci(
        server,
        "kms",
        "crypto",
        "encrypt",
        "--endpoint",
        crypto,
        "--key-id",
        key["id"],
        "--plaintext",
        "aGk=",
        expect_ok=False,
    )
    assert "IncorrectState" in refused
