"""What Alibaba's official Python SDKs send, captured: a tiny local HTTP server records each
request as it arrives (method, path, raw query, headers, body) and answers ``{"RequestId"}``;
helpers drive the Tea SDK (``alibabacloud_kms20160120``, ACS3-HMAC-SHA256 or, with
``signature_algorithm="v2"``, HMAC-SHA1) and the core SDK (``aliyun-python-sdk-kms``) at it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from alibabacloud_kms20160120 import models as tea_models
from alibabacloud_kms20160120.client import Client as TeaClient
from alibabacloud_tea_openapi.utils_models import Config, OpenApiRequest
from aliyunsdkcore.client import AcsClient
from aliyunsdkkms.request.v20160120.EncryptRequest import EncryptRequest
from darabonba.runtime import RuntimeOptions

from tests.alibaba_sdk import tea_rpc_params

__all__ = ["Capture", "Captured", "capture_server"]


@dataclass(frozen=True)
class Captured:
    """One request as the server received it."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes

    def with_query(self, query: str) -> Captured:
        return Captured(self.method, self.path, query, self.headers, self.body)

    def with_headers(self, headers: list[tuple[str, str]]) -> Captured:
        return Captured(self.method, self.path, self.query, headers, self.body)

    def with_body(self, body: bytes) -> Captured:
        return Captured(self.method, self.path, self.query, self.headers, body)

    def header(self, name: str) -> str:
        return next(v for k, v in self.headers if k.lower() == name)

    def replace_header(self, name: str, value: str) -> Captured:
        kept = [(k, value if k.lower() == name else v) for k, v in self.headers]
        return self.with_headers(kept)

    def without_header(self, name: str) -> Captured:
        return self.with_headers([(k, v) for k, v in self.headers if k.lower() != name])


class _Handler(BaseHTTPRequestHandler):
    captured: list[Captured]

    def _record(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        self.captured.append(Captured(self.command, path, query, list(self.headers.items()), body))
        answer = json.dumps({"RequestId": "captured"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST = _record

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Capture:
    """The SDKs pointed at the capture server; each call returns what was sent."""

    def __init__(self, port: int, captured: list[Captured]) -> None:
        self.endpoint = f"127.0.0.1:{port}"
        self._captured = captured

    def _last(self) -> Captured:
        return self._captured[-1]

    def tea(self, access_key: str, secret: str, v2: bool = False, **fields: Any) -> Captured:
        """An Encrypt through the Tea SDK (ACS3-HMAC-SHA256, or HMAC-SHA1 when ``v2``)."""
        self._tea_client(access_key, secret, v2).encrypt(tea_models.EncryptRequest(**fields))
        return self._last()

    def tea_form(
        self, access_key: str, secret: str, query: dict[str, str], body: dict[str, str], v2: bool
    ) -> Captured:
        """A CreateKey through the Tea SDK's generic call_api, parameters in a form body."""
        client = self._tea_client(access_key, secret, v2)
        request = OpenApiRequest(query=query, body=body)
        client.call_api(tea_rpc_params("CreateKey"), request, RuntimeOptions())
        return self._last()

    def core(
        self, access_key: str, secret: str, key: str, plaintext: str, context: str
    ) -> Captured:
        """An Encrypt through aliyun-python-sdk-kms and -core (HMAC-SHA1 v1.0, all in the query)."""
        request = EncryptRequest()
        request.set_endpoint(self.endpoint)
        request.set_protocol_type("http")
        request.set_KeyId(key)
        request.set_Plaintext(plaintext)
        request.set_EncryptionContext(context)
        AcsClient(access_key, secret, "cn-hangzhou").do_action_with_exception(request)
        return self._last()

    def _tea_client(self, access_key: str, secret: str, v2: bool) -> TeaClient:
        config = Config(
            access_key_id=access_key,
            access_key_secret=secret,
            endpoint=self.endpoint,
            protocol="http",
            signature_algorithm="v2" if v2 else None,
        )
        return TeaClient(config)


@contextmanager
def capture_server() -> Iterator[Capture]:
    """The capture server on a free local port, for the block."""
    captured: list[Captured] = []
    handler = type("Handler", (_Handler,), {"captured": captured})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Capture(server.server_address[1], captured)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
