"""The ``strongroom`` command, run as a real subprocess."""

from __future__ import annotations

import configparser
import hashlib
import stat
from pathlib import Path

import oci
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from oci.key_management import models as m

from strongroom.app import initialize
from tests.helpers import b64d, b64e, free_port
from tests.integration import cli_support, support
from tests.tls_support import make_tls


def _snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under ``root``: mtime, mode and content hash."""
    return {
        str(path.relative_to(root)): (
            path.stat().st_mtime_ns,
            stat.S_IMODE(path.stat().st_mode),
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _sdk_round_trip(config: dict[str, object], url: str, ca_file: str | None = None) -> None:
    """Create a vault and a key, and encrypt and decrypt through the SDK."""
    vaults = support.vault_client(config, url)
    clients: list[object] = [vaults]
    try:
        if ca_file:
            vaults.base_client.session.verify = ca_file
        vault = support.new_vault(vaults, str(config["tenancy"]), "cli")
        assert vault.management_endpoint.startswith(url)
        kms = support.management_client(config, vault)
        crypto = support.crypto_client(config, vault)
        clients += [kms, crypto]
        if ca_file:
            kms.base_client.session.verify = ca_file
            crypto.base_client.session.verify = ca_file
        key = support.new_key(kms, str(config["tenancy"]), "AES", 32)
        sealed = crypto.encrypt(m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"cli"))).data
        opened = crypto.decrypt(m.DecryptDataDetails(key_id=key.id, ciphertext=sealed.ciphertext))
        assert b64d(opened.data.plaintext) == b"cli"
        assert [v.id for v in vaults.list_vaults(config["tenancy"]).data] == [vault.id]
    finally:
        # An idle TLS keep-alive connection holds up the server's shutdown for 30 s.
        for client in clients:
            client.base_client.session.close()  # type: ignore[attr-defined]


def test_init_writes_a_working_oci_config(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    result = cli_support.run("init", "--data-dir", str(data_dir), "--region", "eu-frankfurt-1")
    assert result.returncode == 0, result.stderr

    config_file = data_dir / "oci" / "config"
    parser = configparser.ConfigParser()
    parser.read(config_file)
    assert parser.sections() == [] and "DEFAULT" in parser  # only the DEFAULT profile
    profile = parser["DEFAULT"]
    assert set(profile) == {"user", "fingerprint", "key_file", "tenancy", "region"}
    assert profile["region"] == "eu-frankfurt-1"
    assert profile["tenancy"].startswith("ocid1.tenancy.oc1..")
    assert profile["user"].startswith("ocid1.user.oc1.")

    key_file = Path(profile["key_file"])
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    private = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    assert private.key_size >= 2048  # type: ignore[union-attr]

    # The SDK accepts it as is.
    config = oci.config.from_file(str(config_file))
    oci.config.validate_config(config)
    assert config["fingerprint"] == profile["fingerprint"]


def test_init_refuses_an_existing_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert cli_support.run("init", "--data-dir", str(data_dir)).returncode == 0
    before = _snapshot(data_dir)
    assert "oci/config" in before
    assert "oci/oci_api_key.pem" in before

    again = cli_support.run("init", "--data-dir", str(data_dir), "--region", "uk-london-1")
    assert again.returncode != 0
    assert "already exists" in again.stderr
    assert _snapshot(data_dir) == before


def test_serve_refuses_a_public_address_without_tls(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    initialize(data_dir, support.REGION)
    port = str(free_port())
    result = cli_support.run(
        "serve", "--data-dir", str(data_dir), "--host", "0.0.0.0", "--port", port
    )
    assert result.returncode != 0
    assert "TLS" in result.stderr

    half = cli_support.run(
        "serve", "--data-dir", str(data_dir), "--tls-cert", "x.pem", "--port", port
    )
    assert half.returncode != 0
    assert "--tls-key" in half.stderr


def test_serve_refuses_a_missing_data_directory(tmp_path: Path) -> None:
    result = cli_support.run("serve", "--data-dir", str(tmp_path / "nothing"), "--port", "1")
    assert result.returncode != 0
    assert "strongroom init" in result.stderr


def test_serve_answers_the_sdk(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    initialize(data_dir, support.REGION)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with cli_support.serving(data_dir, log, "--port", str(port)) as process:
        cli_support.wait_serving(process, url, log)
        config = oci.config.from_file(str(data_dir / "oci" / "config"))
        _sdk_round_trip(config, url)
    assert "Strongroom" in log.read_text()


def test_serve_with_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # requests lets these override a session's own CA bundle; the SDK is meant to use ours.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    data_dir = tmp_path / "data"
    initialize(data_dir, support.REGION)
    tls = make_tls(tmp_path / "tls")
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    # With TLS, listening on every interface is allowed.
    args = (
        "--host",
        "0.0.0.0",
        "--port",
        str(port),
        "--tls-cert",
        str(tls.cert),
        "--tls-key",
        str(tls.key),
    )
    with cli_support.serving(data_dir, log, *args) as process:
        cli_support.wait_serving(process, url, log, ca_file=str(tls.ca_file))
        config = oci.config.from_file(str(data_dir / "oci" / "config"))
        _sdk_round_trip(config, url, ca_file=str(tls.ca_file))

        # Without the CA as bundle the SDK does not trust the server.
        untrusted = support.vault_client(config, url)
        with pytest.raises(oci.exceptions.RequestException, match="CERTIFICATE_VERIFY_FAILED"):
            untrusted.list_vaults(config["tenancy"])
        # And nothing is served in the clear on that port.
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
