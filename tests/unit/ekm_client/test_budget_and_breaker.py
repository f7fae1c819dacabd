"""The time budget (token fetch included), safe retries, the circuit breaker and health."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import httpx
import pytest

from strongroom.crypto.providers.ekm_client import (
    EkmBadResponse,
    EkmConnection,
    EkmKeyNotFound,
    EkmProtocol,
    EkmUnavailable,
    ExternalKeyManagers,
)
from tests.helpers import free_port
from tests.unit.ekm_client.fakes import (
    EKMS_URL,
    SECRET,
    XKS_URL,
    Clock,
    Fakes,
    connection,
    managers,
    reply,
)

pytestmark = pytest.mark.anyio
EKMS = connection(EkmProtocol.EKMS)
XKS = connection(EkmProtocol.XKS)


def _slow(fakes: Fakes, prefix: str, seconds: float) -> None:
    async def hook(request: httpx.Request) -> httpx.Response | None:
        if str(request.url).startswith(prefix):
            await asyncio.sleep(seconds)
        return None

    fakes.hook = hook


def _failing(fakes: Fakes, status: int = 500) -> list[int]:
    calls: list[int] = []

    async def hook(request: httpx.Request) -> httpx.Response | None:
        if str(request.url).startswith((EKMS_URL, XKS_URL)):
            calls.append(1)
            return reply(status, {"code": "InternalServerError", "errorName": "InternalException"})
        return None

    fakes.hook = hook
    return calls


@pytest.mark.parametrize("conn", [EKMS, XKS], ids=["ekms", "xks"])
async def test_a_slow_ekm_is_unavailable_within_the_budget(conn: EkmConnection) -> None:
    fakes = Fakes()
    _slow(fakes, EKMS_URL if conn is EKMS else XKS_URL, 5.0)
    started = time.monotonic()
    with pytest.raises(EkmUnavailable, match="did not answer within 250 ms"):
        await managers(fakes).encrypt(conn, "k1", None, b"x", b"")
    assert time.monotonic() - started < 0.6


async def test_the_token_fetch_counts_against_the_budget() -> None:
    fakes = Fakes(token_delay=0.2)
    _slow(fakes, EKMS_URL, 0.1)
    started = time.monotonic()
    with pytest.raises(EkmUnavailable, match="within 250 ms"):
        await managers(fakes).encrypt(EKMS, "k1", None, b"x", b"")
    assert time.monotonic() - started < 0.6


async def test_the_budget_follows_the_connection() -> None:
    fakes = Fakes()
    _slow(fakes, EKMS_URL, 0.3)
    sealed = await managers(fakes).encrypt(
        replace(EKMS, timeout_seconds=1.0), "k1", None, b"x", b""
    )
    assert sealed.external_version_id == "v1"


async def test_a_refused_connection_is_prompt_and_says_so() -> None:
    conn = replace(XKS, endpoint_url=f"http://127.0.0.1:{free_port()}/kms/xks/v1")
    client = ExternalKeyManagers()
    started = time.monotonic()
    with pytest.raises(EkmUnavailable, match="refused the connection"):
        await client.decrypt(conn, "k1", None, b"\x01\x0c\x10\x00" + bytes(28), b"")
    assert time.monotonic() - started < 0.5
    await client.aclose()


def _connect_error_first(fakes: Fakes) -> list[str]:
    attempts: list[str] = []

    async def hook(request: httpx.Request) -> httpx.Response | None:
        if str(request.url).startswith(EKMS_URL):
            attempts.append(request.url.path)
            if len(attempts) == 1:
                raise httpx.ConnectError("connection reset", request=request)
        return None

    fakes.hook = hook
    return attempts


async def test_reads_and_decrypt_retry_once_after_a_connection_fault() -> None:
    fakes = Fakes()
    client = managers(fakes)
    sealed = await client.encrypt(EKMS, "k1", None, b"x", b"")
    attempts = _connect_error_first(fakes)
    assert await client.decrypt(EKMS, "k1", "v1", sealed.blob, b"") == b"x"
    assert len(attempts) == 2
    attempts = _connect_error_first(fakes)
    assert (await client.key_info(EKMS, "k1")).enabled
    assert len(attempts) == 2


async def test_encrypt_is_not_retried() -> None:
    fakes = Fakes()
    attempts = _connect_error_first(fakes)
    with pytest.raises(EkmUnavailable, match="could not be reached"):
        await managers(fakes).encrypt(EKMS, "k1", None, b"x", b"")
    assert len(attempts) == 1


async def test_errors_are_not_retried() -> None:
    fakes = Fakes()
    calls = _failing(fakes)
    with pytest.raises(EkmUnavailable, match="HTTP 500"):
        await managers(fakes).key_info(EKMS, "k1")
    assert len(calls) == 1


@pytest.mark.parametrize("conn", [EKMS, XKS], ids=["ekms", "xks"])
async def test_the_breaker_opens_after_five_failures_then_lets_one_probe(
    conn: EkmConnection,
) -> None:
    fakes, clock = Fakes(), Clock()
    client = managers(fakes, clock)
    calls = _failing(fakes)
    for _ in range(5):
        with pytest.raises(EkmUnavailable, match="HTTP 500"):
            await client.key_info(conn, "k1")
    with pytest.raises(EkmUnavailable, match="circuit open"):
        await client.key_info(conn, "k1")
    assert len(calls) == 5
    clock.now += 2.1
    with pytest.raises(EkmUnavailable, match="HTTP 500"):  # the probe fails: open again
        await client.key_info(conn, "k1")
    with pytest.raises(EkmUnavailable, match="circuit open"):
        await client.key_info(conn, "k1")
    assert len(calls) == 6
    clock.now += 2.1
    fakes.hook = None
    assert (await client.key_info(conn, "k1")).enabled  # the probe succeeds: closed
    assert (await client.key_info(conn, "k1")).enabled


async def test_opening_the_circuit_is_logged_once_without_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fakes = Fakes()
    client = managers(fakes)
    _failing(fakes)
    for _ in range(7):
        with pytest.raises(EkmUnavailable):
            await client.key_info(EKMS, "k1")
    warnings = [r.getMessage() for r in caplog.records if r.name == "strongroom.ekm_client"]
    reason = "The EKM at https://ekms.test answered HTTP 500 InternalServerError"
    assert warnings == [f"EKM circuit open for 2.0 s: {reason}"]
    assert all(SECRET not in m and "token-" not in m for m in warnings)


async def test_only_one_probe_goes_out_while_half_open() -> None:
    fakes, clock = Fakes(), Clock()
    client = managers(fakes, clock)
    _failing(fakes)
    for _ in range(5):
        with pytest.raises(EkmUnavailable):
            await client.key_info(EKMS, "k1")
    clock.now += 2.1
    _slow(fakes, EKMS_URL, 0.1)
    results = await asyncio.gather(
        *(client.key_info(EKMS, "k1") for _ in range(3)), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all("circuit open" in str(r) for r in results if isinstance(r, Exception))


async def test_answers_from_the_ekm_do_not_open_the_breaker() -> None:
    fakes = Fakes()
    client = managers(fakes)
    for _ in range(8):
        with pytest.raises(EkmKeyNotFound):
            await client.key_info(EKMS, "missing")
    assert (await client.key_info(EKMS, "k1")).enabled


async def test_the_breaker_is_per_origin() -> None:
    fakes, clock = Fakes(), Clock()
    client = managers(fakes, clock)
    _failing(fakes)
    for _ in range(5):
        with pytest.raises(EkmUnavailable):
            await client.key_info(EKMS, "k1")
    fakes.hook = None
    assert (await client.key_info(XKS, "k1")).enabled
    with pytest.raises(EkmUnavailable, match="circuit open"):
        await client.key_info(EKMS, "k1")


@pytest.mark.parametrize("conn", [EKMS, XKS], ids=["ekms", "xks"])
async def test_health_never_raises(conn: EkmConnection) -> None:
    fakes, clock = Fakes(), Clock()
    client = managers(fakes, clock)
    healthy = await client.vault_health(conn)
    assert healthy.state == "ACTIVE"
    _failing(fakes, 503)
    sick = await client.vault_health(conn)
    assert (sick.state, "HTTP 503" in sick.detail) == ("UNREACHABLE", True)
    _slow(fakes, EKMS_URL if conn is EKMS else XKS_URL, 1.0)
    slow = await client.vault_health(conn)
    assert slow.state == "UNREACHABLE"
    assert "within 250 ms" in slow.detail


async def test_health_goes_out_while_the_circuit_is_open_and_closes_it() -> None:
    fakes, clock = Fakes(), Clock()
    client = managers(fakes, clock)
    _failing(fakes)
    for _ in range(5):
        with pytest.raises(EkmUnavailable):
            await client.key_info(EKMS, "k1")
    fakes.hook = None
    assert (await client.vault_health(EKMS)).state == "ACTIVE"
    assert (await client.key_info(EKMS, "k1")).enabled


async def test_ekms_health_reports_a_blocked_vault() -> None:
    fakes = Fakes()

    async def hook(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/vaults/v1/metadata"):
            return reply(200, {"vaultId": "v1", "state": "BLOCKED"})
        return None

    fakes.hook = hook
    health = await managers(fakes).vault_health(EKMS)
    assert (health.state, health.detail) == (
        "BLOCKED",
        "The EKM at https://ekms.test reports the vault BLOCKED",
    )


async def test_a_bad_endpoint_url_is_unavailable_not_a_crash() -> None:
    conn = replace(EKMS, endpoint_url="ekms.test/v1/vaults/v1")
    with pytest.raises(EkmUnavailable, match="not an absolute"):
        await managers(Fakes()).key_info(conn, "k1")
    assert (await managers(Fakes()).vault_health(conn)).state == "UNREACHABLE"


async def test_malformed_json_is_a_bad_response_for_reads_too() -> None:
    fakes = Fakes()

    async def hook(request: httpx.Request) -> httpx.Response | None:
        if str(request.url).startswith(EKMS_URL):
            return httpx.Response(200, content=b'{"keyId": "k1", ')
        return None

    fakes.hook = hook
    with pytest.raises(EkmBadResponse, match="not JSON"):
        await managers(fakes).key_info(EKMS, "k1")
