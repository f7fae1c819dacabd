"""The reference EKM (``strongroom-ekm``, software back end) as the EKM benchmark runs it:
initialised and served on loopback, and encrypt requests made ready for the load generator."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from loadgen import b64e, free_port, server
from strongroom.crypto.sigv4 import SigV4Credential, sign

PLAINTEXT_BYTES = 32
ACCESS_KEY_ID = "AKIASTRONGROOMBENCH1"
EKM_KEY_ID = "bench-key"
REQUEST_METADATA = {
    "awsPrincipalArn": "arn:aws:iam::123456789012:user/bench",
    "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/bench",
    "kmsOperation": "Encrypt",
    "kmsRequestId": "00000000-0000-4000-8000-000000000000",
}


@dataclass
class Ekm:
    """The running proxy and how to reach it."""

    data_dir: Path
    port: int
    vault_id: str
    secret_access_key: str
    pid: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def vault_url(self) -> str:
        return f"{self.base}/v1/vaults/{self.vault_id}"

    @property
    def xks_url(self) -> str:
        return f"{self.base}/kms/xks/v1"


def ekm_cli(data_dir: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "strongroom.ekm_proxy", *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"strongroom-ekm {args[0]} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def init_ekm(directory: Path) -> Ekm:
    data_dir = directory / "ekm"
    ekm_cli(data_dir, "init")
    secret = secrets.token_urlsafe(32)
    ekm_cli(data_dir, "xks", "add-credential", "--access-key-id", ACCESS_KEY_ID, stdin=secret)
    ekm_cli(data_dir, "keys", "create", "--key-id", EKM_KEY_ID)
    vault_id = json.loads((data_dir / "ekm.json").read_text())["vaultId"]
    return Ekm(data_dir, free_port(), vault_id, secret)


@contextlib.contextmanager
def serve_ekm(ekm: Ekm, log: Path) -> Iterator[None]:
    args = [sys.executable, "-m", "strongroom.ekm_proxy", "serve", "--data-dir", str(ekm.data_dir)]
    args += ["--port", str(ekm.port), "--backend", "software"]
    with server(args, ekm.port, log, health="/health") as proc:
        ekm.pid = proc.pid
        yield


def raw_post(url: str, headers: dict[str, str], body: bytes) -> bytes:
    """Raw HTTP/1.1 bytes of a POST (Host and Content-Length as an HTTP client sends them)."""
    split = httpx.URL(url)
    lines = [f"POST {split.raw_path.decode()} HTTP/1.1", f"Host: {split.netloc.decode()}"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "host"]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def xks_pool(ekm: Ekm, size: int, region: str) -> list[bytes]:
    """XKS encrypt requests of 32 random bytes, each SigV4-signed now."""
    url = f"{ekm.xks_url}/keys/{EKM_KEY_ID}/encrypt"
    credential = SigV4Credential(ACCESS_KEY_ID, ekm.secret_access_key)
    pool = []
    for _ in range(size):
        body = json.dumps(
            {
                "requestMetadata": REQUEST_METADATA,
                "plaintext": b64e(os.urandom(PLAINTEXT_BYTES)),
                "encryptionAlgorithm": "AES_GCM",
            }
        ).encode()
        headers = {"Content-Type": "application/json", "Host": f"127.0.0.1:{ekm.port}"}
        pool.append(raw_post(url, sign("POST", url, headers, body, credential, region), body))
    return pool


def ekms_pool(ekm: Ekm, token: str, size: int) -> list[bytes]:
    """EKMS encrypt requests of 32 random bytes with one bearer token."""
    url = f"{ekm.vault_url}/keys/{EKM_KEY_ID}/encrypt"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    pool = []
    for _ in range(size):
        plaintext = b64e(os.urandom(PLAINTEXT_BYTES))
        pool.append(raw_post(url, headers, json.dumps({"plaintext": plaintext}).encode()))
    return pool
