"""The EKM client (strongroom.crypto.providers.ekm_client) against the real `strongroom-ekm`
proxy over both protocols: EKMS with tokens from Strongroom's own token endpoint (and from a
minimal OIDC provider with discovery), XKS with SigV4. Round trips, associated data, rotation,
disabled and unknown keys, a stopped EKM, TLS trust, bad credentials, concurrency."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from strongroom.crypto.providers.ekm_client import (
    EkmAuthenticationFailed,
    EkmConnection,
    EkmInvalidCiphertext,
    EkmKeyDisabled,
    EkmKeyNotFound,
    EkmProtocol,
    EkmTlsError,
    EkmUnavailable,
    ExternalKeyManagers,
    protocol_for,
)
from tests.ekm_support import EkmProxy, init_proxy, running_proxy
from tests.idp_support import LocalIdp
from tests.integration.external_support import ekms_client, trust_strongroom_tokens
from tests.integration.support import Server
from tests.tls_support import make_tls

pytestmark = pytest.mark.anyio
# Functional tests get a generous budget (a loaded CI machine, the first call fetches a token
# and the proxy a JWKS); the default 250 ms budget is what the stopped-EKM test uses.
GENEROUS = 3.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def proxy(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EkmProxy]:
    """A plain-HTTP proxy trusting Strongroom's tokens, with one key."""
    proxy = init_proxy(tmp_path_factory.mktemp("ekm-client"), "software", keys=1)
    trust_strongroom_tokens(server, proxy)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture(scope="module")
def ekms_conn(server: Server, proxy: EkmProxy) -> EkmConnection:
    client = ekms_client(server, proxy.vault_url)
    return EkmConnection(
        vault_id="ocid1.vault.oc1..ekmclient",
        endpoint_url=proxy.vault_url,
        protocol=protocol_for(proxy.vault_url),
        client_id=client.client_id,
        client_secret=client.secret,
        idp_url=server.url,
        timeout_seconds=GENEROUS,
    )


@pytest.fixture(scope="module")
def xks_conn(proxy: EkmProxy) -> EkmConnection:
    return EkmConnection(
        vault_id="ocid1.vault.oc1..ekmclientxks",
        endpoint_url=proxy.xks_url,
        protocol=protocol_for(proxy.xks_url),
        client_id=proxy.access_key_id,
        client_secret=proxy.secret_access_key,
        timeout_seconds=GENEROUS,
    )


@pytest.fixture(params=["ekms", "xks"])
def conn(request: pytest.FixtureRequest) -> EkmConnection:
    fixture: EkmConnection = request.getfixturevalue(f"{request.param}_conn")
    return fixture


@pytest.fixture
async def managers() -> AsyncIterator[ExternalKeyManagers]:
    client = ExternalKeyManagers()
    yield client
    await client.aclose()


async def test_protocols_follow_the_proxy_urls(
    ekms_conn: EkmConnection, xks_conn: EkmConnection
) -> None:
    assert (ekms_conn.protocol, xks_conn.protocol) == (EkmProtocol.EKMS, EkmProtocol.XKS)


async def test_round_trip_and_associated_data(
    managers: ExternalKeyManagers, conn: EkmConnection, proxy: EkmProxy
) -> None:
    key_id = proxy.key_ids[0]
    info = await managers.key_info(conn, key_id)
    assert (info.key_id, info.enabled, info.algorithm, info.length_bytes) == (
        key_id,
        True,
        "AES",
        32,
    )
    assert (info.current_version_id is None) is (conn.protocol is EkmProtocol.XKS)
    sealed = await managers.encrypt(conn, key_id, None, b"the plaintext", b"row 17")
    assert b"the plaintext" not in sealed.blob
    if conn.protocol is EkmProtocol.EKMS:
        assert sealed.external_version_id == info.current_version_id
    else:
        assert sealed.external_version_id is None
    plain = await managers.decrypt(conn, key_id, sealed.external_version_id, sealed.blob, b"row 17")
    assert plain == b"the plaintext"
    with pytest.raises(EkmInvalidCiphertext):
        await managers.decrypt(conn, key_id, sealed.external_version_id, sealed.blob, b"row 18")
    tampered = sealed.blob[:-1] + bytes([sealed.blob[-1] ^ 1])
    with pytest.raises(EkmInvalidCiphertext):
        await managers.decrypt(conn, key_id, sealed.external_version_id, tampered, b"row 17")
    empty = await managers.encrypt(conn, key_id, None, b"", b"")
    assert await managers.decrypt(conn, key_id, empty.external_version_id, empty.blob, b"") == b""


async def test_rotation_keeps_old_ciphertexts_readable(
    managers: ExternalKeyManagers, conn: EkmConnection, proxy: EkmProxy
) -> None:
    key_id = proxy.create_key()
    first = await managers.encrypt(conn, key_id, None, b"before", b"")
    version = proxy.rotate_key(key_id)
    second = await managers.encrypt(conn, key_id, None, b"after", b"")
    if conn.protocol is EkmProtocol.EKMS:
        assert (await managers.key_info(conn, key_id)).current_version_id == version
        assert second.external_version_id == version != first.external_version_id
        pinned = await managers.encrypt(conn, key_id, first.external_version_id, b"old", b"")
        assert pinned.external_version_id == first.external_version_id
    for sealed, plain in ((first, b"before"), (second, b"after")):
        opened = await managers.decrypt(conn, key_id, sealed.external_version_id, sealed.blob, b"")
        assert opened == plain


async def test_a_key_disabled_in_the_ekm(
    managers: ExternalKeyManagers, conn: EkmConnection, proxy: EkmProxy
) -> None:
    key_id = proxy.create_key()
    sealed = await managers.encrypt(conn, key_id, None, b"x", b"")
    proxy.disable_key(key_id)
    assert (await managers.key_info(conn, key_id)).enabled is False
    with pytest.raises(EkmKeyDisabled):
        await managers.encrypt(conn, key_id, None, b"x", b"")
    with pytest.raises(EkmKeyDisabled):
        await managers.decrypt(conn, key_id, sealed.external_version_id, sealed.blob, b"")
    proxy.enable_key(key_id)
    assert (
        await managers.decrypt(conn, key_id, sealed.external_version_id, sealed.blob, b"") == b"x"
    )


async def test_an_unknown_key(managers: ExternalKeyManagers, conn: EkmConnection) -> None:
    with pytest.raises(EkmKeyNotFound):
        await managers.key_info(conn, "no-such-key")
    with pytest.raises(EkmKeyNotFound):
        await managers.encrypt(conn, "no-such-key", None, b"x", b"")


async def test_health_is_active(managers: ExternalKeyManagers, conn: EkmConnection) -> None:
    health = await managers.vault_health(conn)
    assert health.state == "ACTIVE", health.detail


async def test_bad_credentials_are_authentication_failures(
    managers: ExternalKeyManagers, conn: EkmConnection, proxy: EkmProxy
) -> None:
    wrong = replace(conn, client_secret=conn.client_secret + "x")
    with pytest.raises(EkmAuthenticationFailed) as caught:
        await managers.encrypt(wrong, proxy.key_ids[0], None, b"x", b"")
    assert conn.client_secret not in caught.value.message
    health = await managers.vault_health(wrong)
    assert health.state == "UNREACHABLE"


async def test_many_concurrent_calls_share_connections_and_one_token(
    managers: ExternalKeyManagers, ekms_conn: EkmConnection, proxy: EkmProxy
) -> None:
    key_id = proxy.key_ids[0]
    results = await asyncio.gather(
        *(managers.encrypt(ekms_conn, key_id, None, b"%d" % i, b"") for i in range(60))
    )
    opened = await asyncio.gather(
        *(managers.decrypt(ekms_conn, key_id, r.external_version_id, r.blob, b"") for r in results)
    )
    assert opened == [b"%d" % i for i in range(60)]


async def test_a_stopped_ekm_is_unavailable_promptly(server: Server, tmp_path: Path) -> None:
    managers = ExternalKeyManagers()
    with running_proxy(tmp_path, "software", keys=1) as proxy:
        trust_strongroom_tokens(server, proxy)
        client = ekms_client(server, proxy.vault_url)
        ekms = EkmConnection(
            "ocid1.vault.oc1..stopped",
            proxy.vault_url,
            EkmProtocol.EKMS,
            client.client_id,
            client.secret,
            idp_url=server.url,
            timeout_seconds=GENEROUS,
        )
        xks = EkmConnection(
            "ocid1.vault.oc1..stoppedxks",
            proxy.xks_url,
            EkmProtocol.XKS,
            proxy.access_key_id,
            proxy.secret_access_key,
        )
        key_id = proxy.key_ids[0]
        sealed = {
            conn: await managers.encrypt(conn, key_id, None, b"kept outside", b"")
            for conn in (ekms, replace(xks, timeout_seconds=GENEROUS))
        }
    # The proxy is stopped now; the default budget applies.
    for conn, earlier in sealed.items():
        conn = replace(conn, timeout_seconds=0.25)
        started = time.monotonic()
        with pytest.raises(EkmUnavailable) as caught:
            await managers.decrypt(conn, key_id, earlier.external_version_id, earlier.blob, b"")
        assert time.monotonic() - started < 1.0
        assert "refused" in caught.value.message
        started = time.monotonic()
        with pytest.raises(EkmUnavailable):
            await managers.encrypt(conn, key_id, None, b"x", b"")
        assert time.monotonic() - started < 1.0
        health = await managers.vault_health(conn)
        assert health.state == "UNREACHABLE"
    await managers.aclose()


@pytest.fixture(scope="module")
def idp() -> Iterator[LocalIdp]:
    with LocalIdp() as provider:
        yield provider


@pytest.fixture(scope="module")
def tls_proxy(idp: LocalIdp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EkmProxy]:
    """An HTTPS proxy (throwaway CA) trusting the minimal OIDC provider's tokens."""
    with running_proxy(tmp_path_factory.mktemp("ekm-tls"), idp=idp, tls=True, keys=1) as proxy:
        yield proxy


def _tls_conns(proxy: EkmProxy, idp: LocalIdp, ca_pem: str | None) -> list[EkmConnection]:
    return [
        EkmConnection(
            "ocid1.vault.oc1..tls",
            proxy.vault_url,
            EkmProtocol.EKMS,
            idp.client_id,
            idp.client_secret,
            idp_url=idp.url,
            ca_bundle_pem=ca_pem,
            timeout_seconds=GENEROUS,
        ),
        EkmConnection(
            "ocid1.vault.oc1..tlsxks",
            proxy.xks_url,
            EkmProtocol.XKS,
            proxy.access_key_id,
            proxy.secret_access_key,
            ca_bundle_pem=ca_pem,
            timeout_seconds=GENEROUS,
        ),
    ]


async def test_tls_with_the_right_ca_bundle(
    managers: ExternalKeyManagers, tls_proxy: EkmProxy, idp: LocalIdp
) -> None:
    assert tls_proxy.base_url.startswith("https://")
    before = idp.token_requests
    for conn in _tls_conns(tls_proxy, idp, tls_proxy.ca_pem):
        for _ in range(3):
            sealed = await managers.encrypt(conn, tls_proxy.key_ids[0], None, b"tls", b"")
            key_id = tls_proxy.key_ids[0]
            opened = await managers.decrypt(
                conn, key_id, sealed.external_version_id, sealed.blob, b""
            )
            assert opened == b"tls"
        assert (await managers.vault_health(conn)).state == "ACTIVE"
    assert idp.token_requests - before == 1  # cached across calls (discovery named the endpoint)


@pytest.mark.parametrize("trust", ["system store", "another CA"])
async def test_tls_with_an_untrusted_certificate(
    managers: ExternalKeyManagers, tls_proxy: EkmProxy, idp: LocalIdp, tmp_path: Path, trust: str
) -> None:
    ca_pem = None if trust == "system store" else make_tls(tmp_path / "other").ca_pem
    for conn in _tls_conns(tls_proxy, idp, ca_pem):
        with pytest.raises(EkmTlsError, match="not trusted"):
            await managers.encrypt(conn, tls_proxy.key_ids[0], None, b"x", b"")
        health = await managers.vault_health(conn)
        assert (health.state, "not trusted" in health.detail) == ("UNREACHABLE", True)


@pytest.fixture(scope="module")
def mtls_proxy(idp: LocalIdp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EkmProxy]:
    """An HTTPS proxy that requires client certificates from its throwaway CA."""
    directory = tmp_path_factory.mktemp("ekm-mtls")
    with running_proxy(directory, idp=idp, tls=True, mutual_tls=True, keys=1) as proxy:
        yield proxy


async def test_mutual_tls_with_strongroom_client_certificate(
    mtls_proxy: EkmProxy, idp: LocalIdp
) -> None:
    tls = mtls_proxy.tls
    assert tls is not None
    with_cert = ExternalKeyManagers(client_cert=(str(tls.client_cert), str(tls.client_key)))
    try:
        for conn in _tls_conns(mtls_proxy, idp, mtls_proxy.ca_pem):
            sealed = await with_cert.encrypt(conn, mtls_proxy.key_ids[0], None, b"mtls", b"")
            opened = await with_cert.decrypt(
                conn, mtls_proxy.key_ids[0], sealed.external_version_id, sealed.blob, b""
            )
            assert opened == b"mtls"
            assert (await with_cert.vault_health(conn)).state == "ACTIVE"
    finally:
        await with_cert.aclose()


async def test_mutual_tls_without_a_client_certificate_is_refused(
    managers: ExternalKeyManagers, mtls_proxy: EkmProxy, idp: LocalIdp
) -> None:
    for conn in _tls_conns(mtls_proxy, idp, mtls_proxy.ca_pem):
        with pytest.raises((EkmTlsError, EkmUnavailable)) as refused:
            await managers.encrypt(conn, mtls_proxy.key_ids[0], None, b"x", b"")
        if not isinstance(refused.value, EkmTlsError):
            # Closed after the handshake: the message says what to configure.
            assert "--ekm-client-cert" in str(refused.value)
        assert (await managers.vault_health(conn)).state == "UNREACHABLE"
