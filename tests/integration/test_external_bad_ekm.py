"""A misbehaving XKS proxy (a scripted HTTP server) behind a real Strongroom: each fault gives
its documented OCI error through the SDK, promptly, and leaves nothing behind."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from oci.key_management import KmsVaultClient
from oci.key_management import models as m

from tests.integration import support
from tests.integration.external_support import (
    TEST_TIMEOUT,
    ExternalVault,
    ekm_settings,
    encrypt,
    external_key,
    external_vault,
)
from tests.integration.support import Raw, Server

Answer = tuple[int, bytes]
GOOD_METADATA = {"keySpec": "AES_256", "keyUsage": ["ENCRYPT", "DECRYPT"], "keyStatus": "ENABLED"}


def _json(status: int, body: Any) -> Answer:
    return status, json.dumps(body).encode()


def _good_encrypt(request: dict[str, Any]) -> Answer:
    size = len(base64.b64decode(request.get("plaintext", "")))
    return _json(
        200,
        {
            "ciphertext": base64.b64encode(b"c" * size).decode(),
            "initializationVector": base64.b64encode(b"i" * 12).decode(),
            "authenticationTag": base64.b64encode(b"t" * 16).decode(),
        },
    )


class ScriptedXks:
    """An XKS-shaped HTTP server whose answers the test chooses per operation."""

    def __init__(self) -> None:
        self.answers: dict[str, Callable[[dict[str, Any]], Answer]] = {
            "metadata": lambda _: _json(200, GOOD_METADATA),
            "encrypt": _good_encrypt,
            "health": lambda _: _json(
                200,
                {
                    "xksProxyFleetSize": 1,
                    "xksProxyVendor": "test",
                    "xksProxyModel": "scripted",
                    "ekmVendor": "test",
                    "ekmFleetDetails": [{"id": "1", "model": "m", "healthStatus": "ACTIVE"}],
                },
            ),
        }
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    request = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    request = {}
                operation = self.path.rstrip("/").rsplit("/", 1)[-1]
                answer = scripted.answers.get(operation, lambda _: _json(404, {}))
                status, body = answer(request)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kms/xks/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted(server: Server) -> Iterator[ScriptedXks]:
    fake = ScriptedXks()
    with ekm_settings(server, timeout_seconds=TEST_TIMEOUT):
        yield fake
    fake.close()


@pytest.fixture
def ext(server: Server, vault_client: KmsVaultClient, scripted: ScriptedXks) -> ExternalVault:
    metadata = m.ExternalKeyManagerMetadata(
        external_vault_endpoint_url=scripted.url,
        oauth_metadata=m.OauthMetadata(client_app_id="AKIAEXAMPLE", client_app_secret="s" * 20),
    )
    vault = external_vault(vault_client, server.tenancy, metadata)
    return ExternalVault(
        vault,
        support.management_client(server.config, vault),
        support.crypto_client(server.config, vault),
        None,  # type: ignore[arg-type]
    )


METADATA_FAULTS = [
    pytest.param(lambda _: (200, b"not json"), 502, "ExternalKeyManagerError", id="malformed-json"),
    pytest.param(
        lambda _: _json(200, {**GOOD_METADATA, "keySpec": "RSA_2048"}),
        502,
        "ExternalKeyManagerError",
        id="not-aes-256",
    ),
    pytest.param(
        lambda _: _json(200, {"keySpec": "AES_256"}), 502, "ExternalKeyManagerError", id="fields"
    ),
    pytest.param(
        lambda _: _json(500, {"errorName": "InternalException", "errorMessage": "boom"}),
        503,
        "ExternalKeyManagerUnavailable",
        id="500",
    ),
    pytest.param(
        lambda _: _json(401, {"errorName": "AuthenticationFailedException", "errorMessage": "x"}),
        502,
        "ExternalKeyManagerAuthenticationFailed",
        id="401",
    ),
    pytest.param(
        lambda _: _json(404, {"errorName": "KeyNotFoundException", "errorMessage": "no"}),
        400,
        "InvalidParameter",
        id="unknown-key",
    ),
    pytest.param(
        lambda _: _json(200, {**GOOD_METADATA, "keyStatus": "DISABLED"}),
        409,
        "IncorrectState",
        id="disabled",
    ),
]


@pytest.mark.parametrize(("answer", "status", "code"), METADATA_FAULTS)
def test_create_key_faults(
    server: Server,
    ext: ExternalVault,
    scripted: ScriptedXks,
    raw: Raw,
    answer: Callable[[dict[str, Any]], Answer],
    status: int,
    code: str,
) -> None:
    scripted.answers["metadata"] = answer
    before = raw.count_keys(ext.vault)
    support.service_error(external_key, ext.kms, server.tenancy, "k1", status=status, code=code)
    assert raw.count_keys(ext.vault) == before


def _slow(request: dict[str, Any]) -> Answer:
    time.sleep(3 * TEST_TIMEOUT)
    return _good_encrypt(request)


ENCRYPT_FAULTS = [
    pytest.param(lambda _: (200, b"{"), 502, "ExternalKeyManagerError", id="malformed-json"),
    pytest.param(
        lambda _: _json(
            200, {"ciphertext": "!!!", "initializationVector": "", "authenticationTag": ""}
        ),
        502,
        "ExternalKeyManagerError",
        id="bad-base64",
    ),
    pytest.param(
        lambda _: _json(503, {"errorName": "DependencyTimeoutException", "errorMessage": "x"}),
        503,
        "ExternalKeyManagerUnavailable",
        id="503",
    ),
    pytest.param(_slow, 503, "ExternalKeyManagerUnavailable", id="timeout"),
    pytest.param(
        lambda _: _json(400, {"errorName": "InvalidStateException", "errorMessage": "off"}),
        409,
        "IncorrectState",
        id="disabled",
    ),
]


@pytest.mark.parametrize(("answer", "status", "code"), ENCRYPT_FAULTS)
def test_encrypt_faults(
    server: Server,
    ext: ExternalVault,
    scripted: ScriptedXks,
    answer: Callable[[dict[str, Any]], Answer],
    status: int,
    code: str,
) -> None:
    key = external_key(ext.kms, server.tenancy, "k1")
    assert encrypt(ext.crypto, key.id, b"fine").ciphertext
    scripted.answers["encrypt"] = answer
    started = time.monotonic()
    support.service_error(encrypt, ext.crypto, key.id, b"x", status=status, code=code)
    assert time.monotonic() - started < TEST_TIMEOUT + 1.0
    scripted.answers["encrypt"] = _good_encrypt
    time.sleep(0.1)
    assert encrypt(ext.crypto, key.id, b"fine again").ciphertext
