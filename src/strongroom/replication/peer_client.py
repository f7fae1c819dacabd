"""Calls to other regions' realm endpoints over HTTP(S) (httpx), signed with this region's
credential: the adapter of services.realm_port.RealmPeers."""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from strongroom.crypto.request_signing import sign_request
from strongroom.services.realm_port import PeerRefused, PeerUnreachable, SigningKey

__all__ = ["REALM_PATH", "HttpRealmPeers"]

REALM_PATH = "/_strongroom/realm/v1"
logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per call would drown the log


class HttpRealmPeers:
    """One connection pool for every region; ``verify`` is a CA bundle path, or True for the
    system's trust store."""

    def __init__(self, verify: str | bool = True) -> None:
        self._client = httpx.Client(verify=verify, timeout=10.0, follow_redirects=False)
        self._lock = threading.Lock()

    def post(
        self,
        url: str,
        path: str,
        payload: dict[str, Any],
        key: SigningKey | None,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        target = REALM_PATH + path
        body = orjson.dumps(payload)
        host = urlsplit(url).netloc
        headers = {"content-type": "application/json", "accept": "application/json"}
        if key is not None:
            headers |= sign_request("POST", target, host, body, key.key_id, key.private_pem)
        try:
            answer = self._client.post(url + target, content=body, headers=headers, timeout=timeout)
        except httpx.HTTPError as error:
            raise PeerUnreachable(f"{url}: {type(error).__name__}: {error}") from None
        try:
            data = orjson.loads(answer.content)
        except orjson.JSONDecodeError:
            data = {}
        if answer.status_code >= 400:
            if not isinstance(data, dict):
                data = {}
            code = str(data.get("code", "Error"))
            message = str(data.get("message", answer.reason_phrase))
            if answer.status_code in (502, 503, 504) and code != "ServiceUnavailable":
                raise PeerUnreachable(f"{url}: {answer.status_code} {message}")
            raise PeerRefused(answer.status_code, code, f"{url}: {message}")
        if not isinstance(data, dict):
            raise PeerRefused(answer.status_code, "InvalidResponse", f"{url}: not a JSON object")
        return data

    def close(self) -> None:
        self._client.close()
