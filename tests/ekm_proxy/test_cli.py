"""The strongroom-ekm command: init, serve refusals, keys, jwt and xks administration."""

from __future__ import annotations

import json
import os
import ssl
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ekm_support import init_proxy, requires_softhsm, run_cli, running_proxy
from tests.helpers import b64e, free_port
from tests.idp_support import LocalIdp
from tests.tls_support import make_tls


def test_init_prints_urls_and_refuses_twice(tmp_path: Path) -> None:
    data_dir = tmp_path / "ekm"
    first = run_cli(
        "init",
        "--data-dir",
        str(data_dir),
        "--backend",
        "software",
        "--vault-id",
        "vault-one",
        "--public-url",
        "https://ekm.example:9443",
    )
    assert "https://ekm.example:9443/v1/vaults/vault-one" in first.stderr
    assert "https://ekm.example:9443/kms/xks/v1" in first.stderr
    assert stat.S_IMODE(os.stat(data_dir / "master.key").st_mode) == 0o600
    again = run_cli("init", "--data-dir", str(data_dir), "--backend", "software", check=False)
    assert again.returncode == 2
    assert "already initialised" in again.stderr


def test_init_rejects_an_unknown_backend(tmp_path: Path) -> None:
    result = run_cli("init", "--data-dir", str(tmp_path / "x"), "--backend", "tpm", check=False)
    assert result.returncode == 2


def test_serve_refuses_a_mismatched_backend(tmp_path: Path) -> None:
    proxy = init_proxy(tmp_path, "software")
    result = run_cli(
        "serve",
        "--data-dir",
        str(proxy.data_dir),
        "--port",
        str(free_port()),
        "--backend",
        "softhsm",
        check=False,
    )
    assert result.returncode == 2
    assert "initialised for the software back end" in result.stderr


def test_serve_refuses_non_loopback_without_tls(tmp_path: Path) -> None:
    proxy = init_proxy(tmp_path, "software")
    for extra in (["--host", "0.0.0.0"], ["--tls-cert", str(tmp_path / "c.pem")]):
        result = run_cli(
            "serve",
            "--data-dir",
            str(proxy.data_dir),
            "--port",
            str(free_port()),
            *extra,
            check=False,
        )
        assert result.returncode == 2, result.stderr


def test_serve_refuses_an_uninitialised_dir(tmp_path: Path) -> None:
    result = run_cli("serve", "--data-dir", str(tmp_path / "none"), "--port", "1", check=False)
    assert result.returncode == 2
    assert "not initialised" in result.stderr


def test_keys_commands(tmp_path: Path) -> None:
    proxy = init_proxy(tmp_path, "software")
    key_id = proxy.create_key("named-key")
    assert key_id == "named-key"
    version = proxy.cli("keys", "rotate", key_id)
    proxy.cli("keys", "disable", key_id, "--version", version)
    proxy.cli("keys", "disable", key_id)
    listed = json.loads(proxy.cli("keys", "list", "--json"))
    assert listed[0]["keyId"] == "named-key"
    assert listed[0]["enabled"] is False
    assert listed[0]["currentVersion"] == version
    assert [v["enabled"] for v in listed[0]["versions"]] == [True, False]
    assert "sealed" not in json.dumps(listed)
    table = proxy.cli("keys", "list")
    assert "named-key" in table and "DISABLED" in table
    assert proxy.cli("keys", "enable", "no-such", check=False) == ""
    bad = run_cli("keys", "rotate", "no-such", "--data-dir", str(proxy.data_dir), check=False)
    assert bad.returncode == 2 and "not found" in bad.stderr


def test_vault_block_commands(tmp_path: Path) -> None:
    proxy = init_proxy(tmp_path, "software")
    assert proxy.cli("vault", "show") == f"{proxy.vault_id} ACTIVE"
    proxy.cli("vault", "block")
    assert proxy.cli("vault", "show") == f"{proxy.vault_id} BLOCKED"
    proxy.cli("vault", "unblock")
    assert proxy.cli("vault", "show") == f"{proxy.vault_id} ACTIVE"
    # A kill switch that cannot be read is an error, never silently "not blocked".
    config = proxy.data_dir / "ekm.json"
    raw = json.loads(config.read_text())
    config.write_text(json.dumps({**raw, "blocked": "yes"}))
    shown = run_cli("vault", "show", "--data-dir", str(proxy.data_dir), check=False)
    assert shown.returncode == 2 and "malformed" in shown.stderr
    nowhere = run_cli("vault", "block", "--data-dir", str(tmp_path / "nothing"), check=False)
    assert nowhere.returncode == 2 and "not initialised" in nowhere.stderr


def test_xks_credentials_never_echoed(tmp_path: Path) -> None:
    proxy = init_proxy(tmp_path, "software", xks_credentials={})
    secret = "super-secret-access-key-1234567890"
    result = run_cli(
        "xks",
        "add-credential",
        "--data-dir",
        str(proxy.data_dir),
        "--access-key-id",
        "AKIDONE",
        input=secret + "\n",
    )
    assert secret not in result.stdout + result.stderr
    secret_file = tmp_path / "secret"
    secret_file.write_text("another-secret-access-key-0987\n")
    proxy.cli(
        "xks", "add-credential", "--access-key-id", "AKIDTWO", "--secret-file", str(secret_file)
    )
    listed = proxy.cli("xks", "list-credentials")
    assert listed.split() == ["AKIDONE", "AKIDTWO"]
    proxy.cli("xks", "remove-credential", "AKIDONE")
    assert proxy.cli("xks", "list-credentials").split() == ["AKIDTWO"]
    config = proxy.data_dir / "ekm.json"
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    bad = run_cli(
        "xks", "set", "--data-dir", str(proxy.data_dir), "--uri-prefix", "/bad prefix", check=False
    )
    assert bad.returncode == 2


def test_jwt_settings(tmp_path: Path) -> None:
    proxy = init_proxy(tmp_path, "software")
    assert proxy.cli("jwt", "show") == "not configured"
    proxy.cli(
        "jwt",
        "set",
        "--issuer",
        "https://idp",
        "--jwks-url",
        "https://idp/jwks",
        "--audience",
        "urn:a",
        "--audience",
        "urn:b",
    )
    shown = proxy.cli("jwt", "show")
    assert "https://idp/jwks" in shown and "urn:a, urn:b" in shown
    proxy.cli("jwt", "clear")
    assert proxy.cli("jwt", "show") == "not configured"


def test_console_script_is_installed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "strongroom.ekm_proxy", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    for command in ("init", "serve", "keys", "jwt", "xks"):
        assert command in result.stdout


def test_uri_prefix_and_pinned_region(tmp_path: Path) -> None:
    with running_proxy(
        tmp_path, "software", uri_prefix="/tenant-a", region="eu-west-1", keys=1
    ) as proxy:
        meta = {
            "requestMetadata": {
                "kmsRequestId": "1",
                "kmsOperation": "DescribeKey",
                "awsPrincipalArn": "arn:aws:iam::123456789012:user/tester",
            }
        }
        path = f"/keys/{proxy.key_ids[0]}/metadata"
        assert proxy.xks_url.endswith("/tenant-a/kms/xks/v1")
        assert proxy.xks(path, meta, region="eu-west-1").status_code == 200
        wrong = proxy.xks(path, meta, region="us-east-1")
        assert wrong.status_code == 401
        with proxy.client() as client:
            unprefixed = client.post(proxy.base_url + "/kms/xks/v1" + path, json=meta)
        assert unprefixed.status_code == 404
        assert unprefixed.json()["errorName"] == "InvalidUriPathException"


def test_tls_with_a_private_ca(tmp_path: Path) -> None:
    import httpx

    with LocalIdp() as idp, running_proxy(tmp_path, "software", idp=idp, tls=True, keys=1) as proxy:
        assert proxy.base_url.startswith("https://")
        assert proxy.ca_pem and "BEGIN CERTIFICATE" in proxy.ca_pem
        assert proxy.health().status_code == 200
        token = idp.token(proxy.vault_url)
        body = {"plaintext": b64e(b"over tls")}
        response = proxy.ekms("POST", f"/keys/{proxy.key_ids[0]}/encrypt", token, body)
        assert response.status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(proxy.base_url + "/health", verify=True, timeout=5)


def test_keys_created_while_serving_are_usable(tmp_path: Path) -> None:
    with LocalIdp() as idp, running_proxy(tmp_path, "software", idp=idp) as proxy:
        key_id = proxy.create_key()
        token = idp.token(proxy.vault_url)
        response = proxy.ekms("POST", f"/keys/{key_id}/encrypt", token, {"plaintext": "AAAA"})
        assert response.status_code == 200, response.text


def test_jwt_settings_from_discovery(tmp_path: Path) -> None:
    proxy = init_proxy(tmp_path, "software")
    with LocalIdp() as idp:
        proxy.cli("jwt", "set", "--discover", idp.url)
        shown = proxy.cli("jwt", "show")
        assert f"issuer:    {idp.issuer}" in shown
        assert idp.jwks_url in shown
    bad = run_cli(
        "jwt",
        "set",
        "--data-dir",
        str(proxy.data_dir),
        "--discover",
        "http://127.0.0.1:1",
        check=False,
    )
    assert bad.returncode == 2 and "discovery" in bad.stderr
    missing = run_cli("jwt", "set", "--data-dir", str(proxy.data_dir), check=False)
    assert missing.returncode == 2


@requires_softhsm
def test_softhsm_init_keeps_pins_off_the_command_line(tmp_path: Path) -> None:
    proxy = init_proxy(tmp_path, "softhsm", keys=1)
    assert proxy.softhsm is not None
    so_pin = proxy.data_dir / "so-pin"
    assert stat.S_IMODE(os.stat(so_pin).st_mode) == 0o600
    config = json.loads((proxy.data_dir / "ekm.json").read_text())
    assert config["softhsm"]["tokenLabel"] == proxy.softhsm.label
    assert stat.S_IMODE(os.stat(proxy.data_dir / "ekm.json").st_mode) == 0o600
    keystore = (proxy.data_dir / "keys.json").read_text()
    assert '"sealed": null' in keystore  # the material stays in the token
    listed = subprocess.run(
        ["softhsm2-util", "--show-slots"],
        env={**os.environ, "SOFTHSM2_CONF": str(proxy.softhsm.conf)},
        capture_output=True,
        text=True,
    )
    assert proxy.softhsm.label in listed.stdout
    again = run_cli(
        "init",
        "--data-dir",
        str(tmp_path / "second"),
        "--backend",
        "softhsm",
        "--init-token",
        "--token-label",
        proxy.softhsm.label,
        "--softhsm-conf",
        str(proxy.softhsm.conf),
        "--pin-file",
        "-",
        input="another-pin-1234\n",
        check=False,
    )
    assert again.returncode == 2 and "already exists" in again.stderr


def test_serve_with_mutual_tls_requires_a_client_certificate(tmp_path: Path) -> None:
    import httpx

    proxy = init_proxy(tmp_path, "software", tls=True, keys=1)
    proxy.mutual_tls = True
    proxy.start()
    try:
        assert proxy.health().status_code == 200  # presents tls.client_cert
        assert proxy.tls is not None
        with pytest.raises(httpx.HTTPError):
            trust = ssl.create_default_context(cafile=str(proxy.tls.ca_file))
            httpx.get(proxy.base_url + "/health", verify=trust, timeout=5)
    finally:
        proxy.stop()


def test_serve_refuses_a_client_ca_without_tls_or_unreadable(tmp_path: Path) -> None:
    data_dir = tmp_path / "ekm"
    run_cli("init", "--data-dir", str(data_dir), "--backend", "software")
    bad = tmp_path / "not-a-ca.pem"
    bad.write_text("no certificate here\n")
    no_tls = run_cli("serve", "--data-dir", str(data_dir), "--tls-client-ca", str(bad), check=False)
    assert no_tls.returncode == 2
    assert "--tls-client-ca needs --tls-cert" in no_tls.stderr
    tls = make_tls(tmp_path / "tls")
    unreadable = run_cli(
        "serve",
        "--data-dir",
        str(data_dir),
        "--port",
        str(free_port()),
        "--tls-cert",
        str(tls.cert),
        "--tls-key",
        str(tls.key),
        "--tls-client-ca",
        str(bad),
        check=False,
    )
    assert unreadable.returncode == 2
    assert "cannot load the client CA bundle" in unreadable.stderr
    assert "Traceback" not in unreadable.stderr
