"""``strongroom at-rest status|rekey`` against a running server's Element endpoint."""

from __future__ import annotations

from pathlib import Path

from tests.integration import cli_support
from tests.integration.at_rest_support import add_provider, encrypt_sample, serve
from tests.kmip_server import KmipTestServer

pytest_plugins = ["tests.integration.kmip_fixtures"]


def _at_rest(*args: str) -> tuple[int, str]:
    done = cli_support.run("at-rest", *args)
    return done.returncode, done.stdout + done.stderr


def test_status_and_rekey_both_ways(tmp_path: Path, kmip_server: KmipTestServer) -> None:
    data = tmp_path / "data"
    with serve(data, tmp_path / "serve.log") as served:
        sample = encrypt_sample(data, served.url)
        provider = add_provider(served, kmip_server)
        code, out = _at_rest("status", "--data-dir", str(data))
        assert code == 0 and "management:       internal" in out, out

        code, out = _at_rest(
            "rekey", "--data-dir", str(data), "--provider", str(provider), "--wait"
        )
        assert code == 0 and "Rekey complete" in out, out
        code, out = _at_rest("status", "--data-dir", str(data))
        assert "management:       external" in out and f"key provider:     {provider}" in out
        assert "latest rekey" in out and "complete" in out, out

        code, out = _at_rest("rekey", "--data-dir", str(data), "--internal", "--wait")
        assert code == 0 and "Rekey complete" in out, out
        assert sample.decrypt(data, served.url) == sample.plaintext


def test_refusals_say_why(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve(data, tmp_path / "serve.log"):
        code, out = _at_rest("rekey", "--data-dir", str(data), "--provider", "77", "--wait")
        assert code == 1 and "77" in out, out
        code, out = _at_rest("rekey", "--data-dir", str(data), "--provider", "1", "--internal")
        assert code == 2 and "not both" in out, out
    code, out = _at_rest("status", "--data-dir", str(data))  # the server has stopped
    assert code == 1 and "cannot reach" in out and "--element-port" in out, out
    (data / "element" / "endpoint").unlink()
    code, out = _at_rest("status", "--data-dir", str(data))
    assert code == 2 and "--element-port" in out, out
    code, out = _at_rest("status", "--data-dir", str(tmp_path / "missing"))
    assert code == 2 and "credentials" in out, out
