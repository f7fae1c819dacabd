"""Helpers for the integration suite: a real Strongroom server, SDK clients, raw signed requests."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import oci
import pytest
import requests
import uvicorn
from oci.key_management import KmsCryptoClient, KmsManagementClient, KmsVaultClient
from oci.key_management import models as m

from strongroom.app import create_app, initialize
from strongroom.config import Settings
from strongroom.http_protocol import OneWriteProtocol
from strongroom.services.ports import Deps
from tests.clock import ManualClock
from tests.helpers import wait_healthy

REGION = "us-ashburn-1"
NO_RETRY = oci.retry.NoneRetryStrategy()


@dataclass
class Server:
    """One running Strongroom server and what a client needs to reach it."""

    url: str
    data_dir: Path
    config_file: Path
    config: dict[str, Any]
    clock: ManualClock
    deps: Deps

    @property
    def tenancy(self) -> str:
        return str(self.config["tenancy"])


@contextmanager
def running_server(
    data_dir: Path, clock: ManualClock, database_url: str | None = None
) -> Iterator[Server]:
    """Initialize ``data_dir`` (on ``database_url``, SQLite in ``data_dir`` by default) and
    serve it in-process with uvicorn on a free port."""
    initialize(data_dir, REGION, database_url)
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only then,
    # and without it every response on a kept-alive connection waits ~40 ms (Nagle against
    # the client's delayed ACK) between its header and body writes.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = Settings(data_dir=data_dir, port=port, database_url=database_url)
    asgi, deps = create_app(settings, clock=clock)
    config = uvicorn.Config(
        asgi, loop="asyncio", http=OneWriteProtocol, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url)
        config_file = data_dir / "oci" / "config"
        yield Server(
            url, data_dir, config_file, oci.config.from_file(str(config_file)), clock, deps
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        deps.db.engine.dispose()


# --- SDK clients -------------------------------------------------------------------------------


def vault_client(config: dict[str, Any], url: str) -> KmsVaultClient:
    return KmsVaultClient(config, service_endpoint=url, retry_strategy=NO_RETRY)


def management_client(config: dict[str, Any], vault: m.Vault) -> KmsManagementClient:
    return KmsManagementClient(
        config, service_endpoint=vault.management_endpoint, retry_strategy=NO_RETRY
    )


def crypto_client(config: dict[str, Any], vault: m.Vault) -> KmsCryptoClient:
    return KmsCryptoClient(config, service_endpoint=vault.crypto_endpoint, retry_strategy=NO_RETRY)


def new_vault(
    client: KmsVaultClient, tenancy: str, name: str = "v", kind: str = "DEFAULT"
) -> m.Vault:
    details = m.CreateVaultDetails(compartment_id=tenancy, display_name=name, vault_type=kind)
    vault: m.Vault = client.create_vault(details).data
    return vault


def key_details(
    tenancy: str,
    algorithm: str,
    length: int,
    *,
    curve: str | None = None,
    name: str | None = None,
    protection_mode: str | None = "SOFTWARE",
) -> m.CreateKeyDetails:
    return m.CreateKeyDetails(
        compartment_id=tenancy,
        display_name=name or f"{algorithm.lower()}-{length}",
        key_shape=m.KeyShape(algorithm=algorithm, length=length, curve_id=curve),
        protection_mode=protection_mode,
    )


def new_key(
    client: KmsManagementClient,
    tenancy: str,
    algorithm: str,
    length: int,
    curve: str | None = None,
) -> m.Key:
    key: m.Key = client.create_key(key_details(tenancy, algorithm, length, curve=curve)).data
    return key


# --- errors -------------------------------------------------------------------------------------


def service_error(
    call: Callable[..., Any], *args: Any, status: int, code: str | None = None, **kwargs: Any
) -> oci.exceptions.ServiceError:
    """Run an SDK call that must fail with ``status`` (and ``code``) in OCI's error format."""
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        call(*args, **kwargs)
    error = caught.value
    assert error.status == status, (error.status, error.code, error.message)
    if code is not None:
        assert error.code == code, (error.code, error.message)
    assert isinstance(error.message, str)
    assert error.message
    assert error.request_id, "every error carries opc-request-id"
    return error


def assert_oci_error(response: requests.Response | httpx.Response, status: int, code: str) -> str:
    """A raw response is an OCI ``{code, message}`` error; return its message."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers.get("opc-request-id"), "every response carries opc-request-id"
    assert response.headers.get("content-type", "").startswith("application/json")
    body = response.json()
    assert set(body) >= {"code", "message"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str)
    assert body["message"]
    return str(body["message"])


# --- raw signed requests ------------------------------------------------------------------------


def signer_for(config: dict[str, Any], key_file: str | None = None) -> oci.signer.Signer:
    """A signer exactly like the SDK's, optionally with another private key file."""
    return oci.signer.Signer(
        config["tenancy"], config["user"], config["fingerprint"], key_file or config["key_file"]
    )


class Raw:
    """Signed (or unsigned) HTTP requests built by hand, signed as the SDK signs them."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.signer = signer_for(server.config)
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.server.url}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        signed: bool = True,
    ) -> requests.Response:
        if body is not None:
            data = json.dumps(body)
        if isinstance(data, str):
            data = data.encode("utf-8")
        all_headers = {"content-type": "application/json", **(headers or {})}
        return self.session.request(
            method,
            self.url(path),
            data=data,
            headers=all_headers,
            params=params,
            auth=self.signer if signed else None,
            timeout=30,
        )

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, body=body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, body=body, **kwargs)

    # Paths below are those the SDK uses; a vault's endpoints are absolute URLs.

    def vaults_path(self) -> str:
        return "/20180608/vaults"

    def count_vaults(self) -> int:
        response = self.get(
            self.vaults_path(), params={"compartmentId": self.server.tenancy, "limit": 1000}
        )
        assert response.status_code == 200, response.text
        return len(response.json())

    def count_keys(self, vault: m.Vault) -> int:
        response = self.get(
            f"{vault.management_endpoint}/20180608/keys",
            params={"compartmentId": self.server.tenancy, "limit": 1000},
        )
        assert response.status_code == 200, response.text
        return len(response.json())

    def crypto(
        self, vault: m.Vault, operation: str, body: Any = None, **kwargs: Any
    ) -> requests.Response:
        return self.post(f"{vault.crypto_endpoint}/20180608/{operation}", body, **kwargs)
