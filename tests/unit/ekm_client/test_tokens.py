"""Client-credentials tokens: the request, caching until 30 s before expiry, one refresh for
many callers, discovery of the token endpoint, and an identity provider that refuses."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import replace
from urllib.parse import parse_qs

import httpx
import pytest

from strongroom.crypto.providers.ekm_client import (
    EkmAuthenticationFailed,
    EkmBadResponse,
    EkmProtocol,
    EkmUnavailable,
)
from tests.unit.ekm_client.fakes import (
    EKMS_URL,
    IDP,
    SECRET,
    Clock,
    Fakes,
    connection,
    managers,
    reply,
)

pytestmark = pytest.mark.anyio
CONN = connection(EkmProtocol.EKMS)


def _token_requests(fakes: Fakes) -> list[httpx.Request]:
    return [r for r in fakes.requests if r.method == "POST" and str(r.url).startswith(IDP)]


async def test_the_token_request_is_client_credentials_for_the_endpoint() -> None:
    fakes = Fakes()
    await managers(fakes).key_info(CONN, "k1")
    (request,) = _token_requests(fakes)
    assert str(request.url) == f"{IDP}/oauth2/v1/token"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert base64.b64decode(request.headers["authorization"][6:]) == f"client:{SECRET}".encode()
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    assert form == {"grant_type": "client_credentials", "scope": "oci_ekms", "audience": EKMS_URL}


async def test_tokens_are_cached_until_thirty_seconds_before_expiry() -> None:
    fakes, clock = Fakes(), Clock()
    client = managers(fakes, clock)
    for _ in range(3):
        await client.key_info(CONN, "k1")
    assert fakes.tokens_issued == 1
    clock.now += 3600 - 31
    await client.key_info(CONN, "k1")
    assert fakes.tokens_issued == 1
    clock.now += 2
    await client.key_info(CONN, "k1")
    assert fakes.tokens_issued == 2


async def test_a_token_without_expires_in_is_used_once() -> None:
    fakes = Fakes(token_lifetime=None)
    client = managers(fakes)
    await client.key_info(CONN, "k1")
    await client.key_info(CONN, "k1")
    assert fakes.tokens_issued == 2


async def test_tokens_are_per_audience() -> None:
    fakes = Fakes()
    client = managers(fakes)
    other = connection(EkmProtocol.EKMS)
    other = replace(other, endpoint_url=EKMS_URL + "/")
    await client.key_info(CONN, "k1")
    await client.key_info(other, "k1")
    assert fakes.tokens_issued == 2


async def test_concurrent_callers_share_one_refresh() -> None:
    fakes = Fakes(token_delay=0.05)
    client = managers(fakes)
    results = await asyncio.gather(*(client.key_info(CONN, "k1") for _ in range(20)))
    assert all(info.enabled for info in results)
    assert fakes.tokens_issued == 1


async def test_discovery_names_the_token_endpoint_and_is_asked_once() -> None:
    fakes = Fakes(discovery={"issuer": IDP, "token_endpoint": f"{IDP}/oauth2/v1/token"})
    client = managers(fakes, clock := Clock())
    await client.key_info(CONN, "k1")
    clock.now += 10_000
    await client.key_info(CONN, "k1")
    discoveries = [r for r in fakes.requests if r.url.path.endswith("openid-configuration")]
    assert len(discoveries) == 1
    assert fakes.tokens_issued == 2


async def test_discovery_may_point_elsewhere() -> None:
    fakes = Fakes(discovery={"token_endpoint": f"{IDP}/custom/token"})
    seen: list[str] = []

    async def hook(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/custom/token":
            seen.append(request.url.path)
            return reply(200, {"access_token": "t", "token_type": "Bearer", "expires_in": 60})
        return None

    fakes.hook = hook
    fakes.valid_tokens.add("t")
    await managers(fakes).key_info(CONN, "k1")
    assert seen == ["/custom/token"]


@pytest.mark.parametrize("token", ["t\r\nX-Injected: 1", "two words", "", "caf\u00e9"])
async def test_a_token_that_cannot_be_a_header_value_is_refused(token: str) -> None:
    fakes = Fakes()

    async def hook(request: httpx.Request) -> httpx.Response | None:
        if str(request.url).startswith(IDP) and request.method == "POST":
            return reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": 60})
        return None

    fakes.hook = hook
    with pytest.raises(EkmBadResponse, match="cannot be sent as a bearer token"):
        await managers(fakes).key_info(CONN, "k1")
    assert not any(str(r.url).startswith(EKMS_URL) for r in fakes.requests)


async def test_an_https_provider_may_not_send_secrets_to_plain_http() -> None:
    fakes = Fakes(discovery={"token_endpoint": "http://evil.test/token"})
    await managers(fakes).key_info(CONN, "k1")
    assert not any(r.url.host == "evil.test" for r in fakes.requests)
    assert fakes.tokens_issued == 1


async def test_refused_credentials_are_an_authentication_failure() -> None:
    fakes = Fakes()
    conn = replace(CONN, client_secret="wrong-" + SECRET)
    with pytest.raises(EkmAuthenticationFailed, match="invalid_client") as caught:
        await managers(fakes).key_info(conn, "k1")
    assert SECRET not in caught.value.message
    assert "identity provider" in caught.value.message


async def test_an_unavailable_provider_is_unavailable() -> None:
    fakes = Fakes()

    async def hook(request: httpx.Request) -> httpx.Response | None:
        return reply(503, {}) if str(request.url).startswith(IDP) else None

    fakes.hook = hook
    with pytest.raises(EkmUnavailable, match="HTTP 503"):
        await managers(fakes).key_info(CONN, "k1")


async def test_no_identity_provider_is_an_authentication_failure() -> None:
    conn = replace(CONN, idp_url=None)
    with pytest.raises(EkmAuthenticationFailed, match="no identity provider"):
        await managers(Fakes()).key_info(conn, "k1")


async def test_a_wrong_secret_never_gets_the_token_the_right_one_fetched() -> None:
    fakes = Fakes()
    client = managers(fakes)
    await client.key_info(CONN, "k1")
    with pytest.raises(EkmAuthenticationFailed, match="invalid_client"):
        await client.key_info(replace(CONN, client_secret="guess"), "k1")
    assert fakes.tokens_issued == 1


async def test_a_bad_identity_provider_url_says_so() -> None:
    with pytest.raises(EkmUnavailable, match="identity provider URL is not an absolute"):
        await managers(Fakes()).key_info(replace(CONN, idp_url="idp.test"), "k1")
