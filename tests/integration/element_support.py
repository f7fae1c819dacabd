"""A real ``strongroom serve --element-port`` for the Element API tests, and the two ways to
call it: NetApp's ``solidfire-sdk-python`` (:meth:`ElementServer.sdk`) and raw JSON-RPC over
HTTPS (:meth:`ElementServer.rpc`), both with DATA_DIR/element/credentials."""

from __future__ import annotations

import json
import logging
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.helpers import free_port
from tests.integration.cli_support import run, serving, wait_serving

# The SDK logs every request at INFO (parameters included); keep test output readable.
logging.getLogger("solidfire").setLevel(logging.WARNING)


@dataclass
class ElementServer:
    """A serving process with its Element listener."""

    data_dir: Path
    port: int
    main_url: str
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def credentials(self) -> tuple[str, str]:
        """(username, password) from DATA_DIR/element/credentials."""
        data = json.loads((self.data_dir / "element" / "credentials").read_text("utf-8"))
        return data["username"], data["password"]

    @property
    def url(self) -> str:
        """The JSON-RPC endpoint of the current version."""
        return f"https://127.0.0.1:{self.port}/json-rpc/12.3"

    def sdk(self) -> Any:
        """An ``Element`` from ``ElementFactory.create`` (GetAPI discovery included)."""
        from solidfire.factory import ElementFactory

        user, password = self.credentials
        return ElementFactory.create(
            "127.0.0.1", user, password, port=self.port, verify_ssl=False, print_ascii_art=False
        )

    def post(
        self, body: bytes | str, auth: tuple[str, str] | None = None, url: str | None = None
    ) -> httpx.Response:
        """POST ``body`` as is (no Content-Type) with Basic ``auth`` (default: the real one)."""
        content = body.encode() if isinstance(body, str) else body
        with httpx.Client(verify=False, timeout=30) as client:  # as the SDK
            return client.post(url or self.url, content=content, auth=auth or self.credentials)

    def rpc(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call ``method`` (spelled as given) and return the whole JSON answer."""
        request = {"method": method, "params": params or {}, "id": 7}
        response = self.post(json.dumps(request))
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        assert answer["id"] == 7
        return answer


@contextmanager
def element_server(directory: Path) -> Iterator[ElementServer]:
    """``strongroom init`` then ``serve --element-port`` in ``directory`` until the block ends."""
    data_dir = directory / "data"
    done = run("init", "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    port, element_port = free_port(), free_port()
    log = directory / "serve.log"
    args = ("--port", str(port), "--element-port", str(element_port))
    with serving(data_dir, log, *args) as process:
        main_url = f"http://127.0.0.1:{port}"
        wait_serving(process, main_url, log)
        yield ElementServer(data_dir, element_port, main_url, log, process)


def wait_async(server: ElementServer, handle: int, timeout: float = 60.0) -> dict[str, Any]:
    """Poll GetAsyncResult (keepResult) until the work completes; its result object."""
    deadline = time.monotonic() + timeout
    while True:
        answer = server.rpc("GetAsyncResult", {"asyncHandle": handle, "keepResult": True})
        assert "result" in answer, answer
        if answer["result"]["status"] == "complete":
            result: dict[str, Any] = answer["result"]
            return result
        assert time.monotonic() < deadline, f"async result {handle} still running: {answer}"
        time.sleep(0.1)
