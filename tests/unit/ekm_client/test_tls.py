"""TLS against a loopback server: the vault's CA bundle is the only trust, host names are
checked, a client certificate is presented for mutual TLS, failures say what went wrong."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from strongroom.crypto.providers.ekm_client import (
    EkmConnection,
    EkmProtocol,
    EkmTlsError,
    ExternalKeyManagers,
)
from tests.tls_support import TlsFiles, make_tls

pytestmark = pytest.mark.anyio
HEALTH = (
    b'{"xksProxyFleetSize": 1, "ekmFleetDetails": '
    b'[{"id": "a", "model": "m", "healthStatus": "ACTIVE"}]}'
)


@asynccontextmanager
async def tls_server(pki: TlsFiles, require_client_cert: bool) -> AsyncIterator[int]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.cert, pki.key)
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cadata=pki.ca_pem)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(HEALTH), HEALTH))
            await writer.drain()
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


def _conn(port: int, ca_pem: str | None) -> EkmConnection:
    return EkmConnection(
        vault_id="ocid1.vault.oc1..tls",
        endpoint_url=f"https://127.0.0.1:{port}/kms/xks/v1",
        protocol=EkmProtocol.XKS,
        client_id="AKIA",
        client_secret="secret-access-key",
        ca_bundle_pem=ca_pem,
        timeout_seconds=2.0,
    )


async def test_the_vaults_ca_bundle_is_trusted(tmp_path: Path) -> None:
    pki = make_tls(tmp_path)
    async with tls_server(pki, require_client_cert=False) as port:
        managers = ExternalKeyManagers()
        assert (await managers.vault_health(_conn(port, pki.ca_pem))).state == "ACTIVE"
        await managers.aclose()


async def test_other_cas_and_the_system_store_are_not(tmp_path: Path) -> None:
    pki = make_tls(tmp_path)
    other = make_tls(tmp_path / "other")
    async with tls_server(pki, require_client_cert=False) as port:
        managers = ExternalKeyManagers()
        for ca_pem in (other.ca_pem, None):
            with pytest.raises(EkmTlsError, match="not trusted") as caught:
                await managers.key_info(_conn(port, ca_pem), "k1")
            assert f"https://127.0.0.1:{port}" in caught.value.message


async def test_the_host_name_is_checked(tmp_path: Path) -> None:
    pki = make_tls(tmp_path, hosts=("ekm.example",))
    async with tls_server(pki, require_client_cert=False) as port:
        with pytest.raises(EkmTlsError, match="not trusted"):
            await ExternalKeyManagers().key_info(_conn(port, pki.ca_pem), "k1")


async def test_mutual_tls_presents_the_client_certificate(tmp_path: Path) -> None:
    pki = make_tls(tmp_path)
    async with tls_server(pki, require_client_cert=True) as port:
        with_cert = ExternalKeyManagers(client_cert=(str(pki.client_cert), str(pki.client_key)))
        assert (await with_cert.vault_health(_conn(port, pki.ca_pem))).state == "ACTIVE"
        without = await ExternalKeyManagers().vault_health(_conn(port, pki.ca_pem))
        assert without.state == "UNREACHABLE"
        assert "TLS" in without.detail or "closed the connection" in without.detail


async def test_a_bad_bundle_or_client_certificate_is_a_tls_error(tmp_path: Path) -> None:
    with pytest.raises(EkmTlsError, match="not a valid PEM"):
        await ExternalKeyManagers().key_info(_conn(1, "-----BEGIN CERTIFICATE-----\nxx"), "k1")
    missing = (str(tmp_path / "none.pem"), str(tmp_path / "none.key"))
    pki = make_tls(tmp_path)
    with pytest.raises(EkmTlsError, match="client certificate"):
        await ExternalKeyManagers(client_cert=missing).key_info(_conn(1, pki.ca_pem), "k1")
