"""Bearer tokens for EKMS calls: the OAuth2 client-credentials grant, cached per
(identity provider, client, audience) until shortly before they expire, one refresh at a time."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

import httpx

from strongroom.crypto.providers.ekm_client.errors import (
    EkmAuthenticationFailed,
    EkmBadResponse,
    EkmUnavailable,
)
from strongroom.crypto.providers.ekm_client.http import ClientPool, send
from strongroom.crypto.providers.ekm_client.route import Route, display_origin, origin_of
from strongroom.crypto.providers.ekm_client.wire import code_of, error_body, json_body, text

SCOPE = "oci_ekms"
TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105 (a path, not a password)
DISCOVERY_PATH = "/.well-known/openid-configuration"
REFRESH_MARGIN_SECONDS = 30.0

# identity provider URL, client id, audience, and a digest of the client secret: a connection
# with a wrong secret (say, another tenant's vault naming the same client) never gets a token
# that the right secret fetched.
TokenKey = tuple[str, str, str, bytes]


@dataclass(frozen=True)
class _Cached:
    token: str
    refresh_at: float  # monotonic


class TokenSource:
    """Fetches and caches access tokens; concurrent callers of one key share one refresh.

    The token endpoint is ``{idp}/oauth2/v1/token`` unless ``{idp}/.well-known/
    openid-configuration`` names another ``token_endpoint`` (looked up once per provider).
    Tokens are not verified here (the EKM does that); their lifetime is ``expires_in``.
    """

    def __init__(self, pool: ClientPool, monotonic: Callable[[], float]) -> None:
        self._pool = pool
        self._monotonic = monotonic
        self._tokens: dict[TokenKey, _Cached] = {}
        self._endpoints: dict[str, str] = {}
        self._locks: dict[TokenKey, asyncio.Lock] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def token(self, route: Route) -> str:
        """A token valid for ``route``'s EKM, from the cache or freshly fetched."""
        key = route.token_key
        if key is None:
            raise EkmAuthenticationFailed("The vault names no identity provider for its EKM tokens")
        cached = self._tokens.get(key)
        if cached is not None and cached.refresh_at > self._monotonic():
            return cached.token
        async with self._lock(key):
            cached = self._tokens.get(key)
            if cached is not None and cached.refresh_at > self._monotonic():
                return cached.token
            token, lifetime = await self._fetch(route, key[0])
            if lifetime is not None:
                self._tokens[key] = _Cached(token, self._monotonic() + _cache_seconds(lifetime))
            return token

    def drop(self, route: Route, token: str) -> None:
        """Forget ``token`` (the EKM refused it), unless a newer one replaced it already."""
        key = route.token_key
        cached = self._tokens.get(key) if key is not None else None
        if key is not None and cached is not None and cached.token == token:
            del self._tokens[key]

    def _lock(self, key: TokenKey) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._locks, self._loop = {}, loop
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    async def _fetch(self, route: Route, idp: str) -> tuple[str, float | None]:
        endpoint = await self._endpoint(route, idp)
        conn = route.conn
        form = {"grant_type": "client_credentials", "scope": SCOPE, "audience": conn.endpoint_url}
        headers = {
            "authorization": _basic(conn.client_id, conn.client_secret),
            "content-type": "application/x-www-form-urlencoded",
            "accept": "application/json",
        }
        request = route.request("POST", endpoint, headers, urlencode(form).encode("ascii"))
        label = _label(endpoint)
        origin = origin_of(endpoint, "The identity provider's token endpoint")
        client = self._pool.client((origin, conn.ca_bundle_pem, True, None))
        response = await send(client, request, label, _timeout_message(route, label), retry=True)
        return _issued(response, label)

    async def _endpoint(self, route: Route, idp: str) -> str:
        known = self._endpoints.get(idp)
        if known is not None:
            return known
        url = idp + DISCOVERY_PATH
        label = _label(url)
        origin = origin_of(url, "The identity provider URL")
        client = self._pool.client((origin, route.conn.ca_bundle_pem, True, None))
        request = route.request("GET", url, {"accept": "application/json"})
        response = await send(client, request, label, _timeout_message(route, label), retry=True)
        endpoint = _discovered(response, idp) or idp + TOKEN_PATH
        if response.status_code < 500:
            self._endpoints[idp] = endpoint
        return endpoint


def _basic(client_id: str, secret: str) -> str:
    """client_secret_basic: both parts form-encoded first, as RFC 6749 section 2.3.1 says."""
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _label(url: str) -> str:
    return f"The identity provider at {display_origin(url)}"


def _timeout_message(route: Route, label: str) -> str:
    return f"{label} did not answer within {route.conn.timeout_seconds * 1000:.0f} ms"


def _cache_seconds(lifetime: float) -> float:
    """Until 30 s before expiry; a token living under a minute is kept half its life."""
    if lifetime > 2 * REFRESH_MARGIN_SECONDS:
        return lifetime - REFRESH_MARGIN_SECONDS
    return lifetime / 2


def _discovered(response: httpx.Response, idp: str) -> str | None:
    """The discovery document's token endpoint, if it names a usable one."""
    if response.status_code != 200:
        return None
    try:
        endpoint = json_body(response, "").get("token_endpoint")
    except EkmBadResponse:
        return None
    if not isinstance(endpoint, str):
        return None
    scheme = urlsplit(endpoint).scheme.lower()
    allowed = ("https",) if idp.lower().startswith("https:") else ("http", "https")
    return endpoint if scheme in allowed and urlsplit(endpoint).hostname else None


def _issued(response: httpx.Response, label: str) -> tuple[str, float | None]:
    """The access token and its lifetime in seconds (None when the provider gave none)."""
    status = response.status_code
    if status == 200:
        body = json_body(response, label)
        token = text(body, "access_token", label)
        if not (token and token.isascii() and token.isprintable()) or " " in token:
            raise EkmBadResponse(f"{label} issued a token that cannot be sent as a bearer token")
        token_type = body.get("token_type", "Bearer")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise EkmBadResponse(f"{label} issued a token that is not a bearer token")
        lifetime = body.get("expires_in")
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) and lifetime > 0:
            return token, float(lifetime)
        return token, None
    if status == 429 or status >= 500:
        raise EkmUnavailable(f"{label} answered the token request with HTTP {status}")
    code = code_of(error_body(response), "error") or f"HTTP {status}"
    raise EkmAuthenticationFailed(f"{label} refused the EKM client credentials ({code})")
