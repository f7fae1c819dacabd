"""``serve --element-port`` on a data directory made before the Element API: its element/
material is made on the first start (no re-init), and the listener works with it."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

from tests.helpers import free_port
from tests.integration.cli_support import run, serving, wait_serving
from tests.integration.element_support import ElementServer


def test_an_older_data_directory_gets_its_element_material(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert run("init", "--data-dir", str(data_dir)).returncode == 0
    shutil.rmtree(data_dir / "element")  # as a data directory made before the Element API
    port, element_port = free_port(), free_port()
    log = tmp_path / "serve.log"
    args = ("--port", str(port), "--element-port", str(element_port))
    with serving(data_dir, log, *args) as process:
        wait_serving(process, f"http://127.0.0.1:{port}", log)
        for name in ("ca.pem", "cert.pem", "key.pem", "credentials"):
            path = data_dir / "element" / name
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        server = ElementServer(data_dir, element_port, f"http://127.0.0.1:{port}", log, process)
        assert server.sdk().get_encryption_at_rest_info().state == "enabled"
        text = log.read_text()
        assert f"https://127.0.0.1:{element_port}/json-rpc/12.3" in text
        assert server.credentials[1] not in text


def test_element_port_442_and_the_main_port_are_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert run("init", "--data-dir", str(data_dir)).returncode == 0
    refused = run("serve", "--data-dir", str(data_dir), "--element-port", "442")
    assert refused.returncode == 2
    assert "442" in refused.stderr
    port = str(free_port())
    same = run("serve", "--data-dir", str(data_dir), "--port", port, "--element-port", port)
    assert same.returncode == 2
    assert "--element-port" in same.stderr
