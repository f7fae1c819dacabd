"""Helpers of the encryption-at-rest tests: a served data directory with its Element endpoint,
KMIP providers made through Element, and a value encrypted before and decrypted after."""

from __future__ import annotations

import base64
import contextlib
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import oci

from strongroom.cli.element_client import ElementClient
from strongroom.config import read_state
from tests.helpers import free_port
from tests.integration import cli_support, support
from tests.kmip_server import KmipTestServer

__all__ = [
    "Sample",
    "Served",
    "add_provider",
    "encrypt_sample",
    "health",
    "serve",
    "wait_for",
    "wait_rekey",
]


@dataclass
class Served:
    """A running ``strongroom serve`` with its OCI URL and Element client."""

    process: subprocess.Popen[bytes]
    url: str
    element: ElementClient
    log: Path

    def log_text(self) -> str:
        return self.log.read_text("utf-8", "replace")


@contextlib.contextmanager
def serve(data_dir: Path, log: Path, *extra: str, sealed_ok: bool = False) -> Iterator[Served]:
    """Serve ``data_dir`` (initialized first when new) with an Element listener; waits until
    /healthz answers (200, or 503 sealed when ``sealed_ok``)."""
    if not data_dir.exists():
        done = cli_support.run("init", "--data-dir", str(data_dir), *_db(extra))
        assert done.returncode == 0, done.stdout + done.stderr
    port, element_port = free_port(), free_port()
    args = ("--port", str(port), "--element-port", str(element_port), *extra)
    with cli_support.serving(data_dir, log, *args) as process:
        url = f"http://127.0.0.1:{port}"
        element_url = f"https://localhost:{element_port}/json-rpc/12.3"
        served = Served(process, url, ElementClient.for_data_dir(data_dir, element_url), log)
        wait_for(lambda: _answers(served, sealed_ok), 30, served)
        yield served


def _db(extra: tuple[str, ...]) -> tuple[str, ...]:
    if "--database-url" in extra:
        index = extra.index("--database-url")
        return extra[index : index + 2]
    return ()


def _answers(served: Served, sealed_ok: bool) -> bool:
    assert served.process.poll() is None, served.log_text()
    try:
        status = httpx.get(f"{served.url}/healthz", timeout=2).status_code
        served.element.call("GetAPI", {})
    except Exception:
        return False
    return status == 200 or (sealed_ok and status == 503)


def wait_for(probe: Callable[[], object], timeout: float, served: Served | None = None) -> None:
    """Poll ``probe`` until true; fail after ``timeout`` seconds (with the server's log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s\n{served.log_text() if served else ''}")


def health(served: Served) -> tuple[int, dict[str, Any]]:
    """/healthz status and body."""
    answer = httpx.get(f"{served.url}/healthz", timeout=5)
    return answer.status_code, answer.json()


def add_provider(served: Served, kmip: KmipTestServer, name: str = "kmip") -> int:
    """A KMIP provider with one key server (``kmip``), made through Element; its id."""
    element = served.element
    csr = element.call("GetClientCertificateSignRequest", {})["clientCertificateSignRequest"]
    server = element.call(
        "CreateKeyServerKmip",
        {
            "kmipCaCertificate": kmip.ca_pem,
            "kmipClientCertificate": kmip.sign_csr(csr),
            "kmipKeyServerHostnames": ["localhost"],
            "kmipKeyServerName": f"{name}-server",
            "kmipKeyServerPort": kmip.port,
        },
    )["kmipKeyServer"]
    provider = element.call("CreateKeyProviderKmip", {"keyProviderName": name})
    provider_id = int(provider["kmipKeyProvider"]["keyProviderID"])
    element.call(
        "AddKeyServerToProviderKmip",
        {"keyProviderID": provider_id, "keyServerID": server["keyServerID"]},
    )
    return provider_id


def wait_rekey(served: Served, handle: int, timeout: float = 30) -> dict[str, Any]:
    """The completed async result of rekey ``handle`` (kept)."""
    found: dict[str, Any] = {}

    def complete() -> bool:
        found.update(
            served.element.call("GetAsyncResult", {"asyncHandle": handle, "keepResult": True})
        )
        return found.get("status") == "complete"

    wait_for(complete, timeout, served)
    return found


@dataclass(frozen=True)
class Sample:
    """A ciphertext made through the OCI SDK, and how to decrypt it again."""

    key_id: str
    crypto_path: str  # the vault's crypto endpoint after the origin (ports change on restart)
    ciphertext: str
    plaintext: bytes

    def decrypt(self, data_dir: Path, url: str) -> bytes:
        """Decrypt through the server at ``url``."""
        config = oci.config.from_file(str(data_dir / "oci" / "config"))
        client = oci.key_management.KmsCryptoClient(
            config, service_endpoint=url + self.crypto_path, retry_strategy=support.NO_RETRY
        )
        details = oci.key_management.models.DecryptDataDetails(
            key_id=self.key_id, ciphertext=self.ciphertext
        )
        return base64.b64decode(client.decrypt(details).data.plaintext)


def encrypt_sample(data_dir: Path, url: str) -> Sample:
    """Make a vault and an AES key, and encrypt a random value with them."""
    config = oci.config.from_file(str(data_dir / "oci" / "config"))
    tenancy = read_state(data_dir)["admin"]["tenancy_id"]
    vault = support.new_vault(support.vault_client(config, url), tenancy)
    key = support.new_key(support.management_client(config, vault), tenancy, "AES", 32)
    plaintext = base64.b64encode(bytes(range(32)))
    details = oci.key_management.models.EncryptDataDetails(
        key_id=key.id, plaintext=plaintext.decode()
    )
    crypto = support.crypto_client(config, vault)
    ciphertext = crypto.encrypt(details).data.ciphertext
    path = vault.crypto_endpoint.removeprefix(url)
    return Sample(key.id, path, ciphertext, bytes(range(32)))
