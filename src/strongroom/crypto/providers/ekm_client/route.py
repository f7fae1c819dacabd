"""What the client derives once per EKM connection, so a call only looks it up."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit

import httpx

from strongroom.crypto.providers.ekm_client.breaker import CircuitBreaker
from strongroom.crypto.providers.ekm_client.connection import EkmConnection, EkmProtocol
from strongroom.crypto.providers.ekm_client.errors import EkmUnavailable
from strongroom.crypto.providers.ekm_client.http import PoolKey
from strongroom.crypto.sigv4 import SigV4Credential, SigV4Signer

MAX_URLS = 4096


class Target(NamedTuple):
    """A request URL: parsed, as text (what SigV4 signs), and its wire forms (the request
    line's path and query, and the Host header, as httpx sends them)."""

    url: httpx.URL
    text: str
    path: bytes
    host: bytes


@dataclass(frozen=True)
class Route:
    """A connection with its origin, breaker, pool key, base URL, labels and timeouts."""

    conn: EkmConnection = field(repr=False)
    base_url: str
    origin: str
    pool_key: PoolKey
    idp_pool_key: PoolKey | None
    token_key: tuple[str, str, str, bytes] | None = field(repr=False)  # see tokens.TokenKey
    breaker: CircuitBreaker = field(repr=False)
    label: str
    timeout_message: str
    timeout: dict[str, Any] = field(repr=False)  # httpx's per-request timeout extension
    signer: SigV4Signer | None = field(repr=False)  # XKS: signs with the vault's credential
    _urls: dict[tuple[str, str | None], Target] = field(
        default_factory=dict, repr=False, compare=False
    )

    def url(self, operation: str, key_id: str | None = None) -> httpx.URL:
        """``{base}/keys/{key_id}/{operation}`` (or ``{base}/{operation}`` without a key),
        the key id quoted as one path segment; parsed once and kept."""
        return self.target(operation, key_id).url

    def target(self, operation: str, key_id: str | None = None) -> Target:
        """:meth:`url` with the forms a request needs of it, derived once and kept."""
        target = self._urls.get((operation, key_id))
        if target is None:
            if len(self._urls) >= MAX_URLS:
                self._urls.clear()
            path = (
                f"/{operation}" if key_id is None else f"/keys/{quote(key_id, safe='')}/{operation}"
            )
            url = httpx.URL(self.base_url + path)
            target = self._urls[(operation, key_id)] = Target(
                url, str(url), url.raw_path, url.netloc
            )
        return target

    def request(
        self,
        method: str,
        url: str | httpx.URL,
        headers: Mapping[str, str],
        content: bytes | None = None,
    ) -> httpx.Request:
        """An ``httpx.Request`` carrying this route's timeouts."""
        return httpx.Request(
            method, url, headers=headers, content=content, extensions={"timeout": self.timeout}
        )


def origin_of(url: str, what: str = "The EKM endpoint") -> str:
    """``scheme://host:port`` of ``url`` (the port made explicit); ``what`` names it in errors."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise EkmUnavailable(f"{what} is not an absolute http or https URL")
    port = parts.port or (443 if scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{scheme}://{host}:{port}"


def display_origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` as written, without any user info."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme.lower()}://{host}{port}"


def _idp_pool_key(conn: EkmConnection) -> PoolKey | None:
    if not conn.idp_url:
        return None
    return origin_of(conn.idp_url, "The identity provider URL"), conn.ca_bundle_pem, True, None


def make_route(conn: EkmConnection, breaker: CircuitBreaker) -> Route:
    """Derive ``conn``'s route; ``breaker`` is the one of its origin."""
    origin = origin_of(conn.endpoint_url)
    token_key = None
    if conn.idp_url:
        digest = hashlib.sha256(conn.client_secret.encode()).digest()
        token_key = (conn.idp_url.rstrip("/"), conn.client_id, conn.endpoint_url, digest)
    seconds = conn.timeout_seconds
    millis = f"{seconds * 1000:.0f} ms"
    label = f"The EKM at {display_origin(conn.endpoint_url)}"
    return Route(
        conn=conn,
        base_url=conn.endpoint_url.rstrip("/"),
        origin=origin,
        pool_key=(origin, conn.ca_bundle_pem, False, conn.dial),
        idp_pool_key=_idp_pool_key(conn),
        token_key=token_key,
        breaker=breaker,
        label=label,
        timeout_message=f"{label} did not answer within {millis}",
        timeout=httpx.Timeout(seconds).as_dict(),
        signer=_signer(conn),
    )


def _signer(conn: EkmConnection) -> SigV4Signer | None:
    if conn.protocol is not EkmProtocol.XKS:
        return None
    return SigV4Signer(SigV4Credential(conn.client_id, conn.client_secret), conn.region)
