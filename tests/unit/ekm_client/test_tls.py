"""TLS against a loopback server: the vault's CA bundle is the only trust, host names are
checked, a client certificate is presented for mutual TLS, failures say what went wrong."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from strongroom.crypto.providers.external import (
    EkmConnection,
    EkmProtocol,
    EkmTlsError,
    ExternalKeyManagers,
)

pytestmark = pytest.mark.anyio
HEALTH = (
    b'{"xksProxyFleetSize": 1, "ekmFleetDetails": '
    b'[{"id": "a", "model": "m", "healthStatus": "ACTIVE"}]}'
)


@dataclass
class Pki:
    """A CA with one server and one client certificate, as PEM files."""

    ca_pem: str
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _issue(
    ca_key: ec.EllipticCurvePrivateKey | None,
    issuer: x509.Name,
    subject: str,
    san: x509.GeneralName | None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer if ca_key else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca_key is None, path_length=None), critical=True)
    )
    if san is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
    return builder.sign(ca_key or key, hashes.SHA256()), key


def _write(
    directory: Path, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> tuple[Path, Path]:
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def make_pki(directory: Path, server_host: str = "127.0.0.1") -> Pki:
    ca, ca_key = _issue(None, _name("test CA"), "test CA", None)
    try:
        san: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(server_host))
    except ValueError:
        san = x509.DNSName(server_host)
    server, server_key = _issue(ca_key, ca.subject, server_host, san)
    client, client_key = _issue(ca_key, ca.subject, "strongroom", None)
    server_paths = _write(directory, "server", server, server_key)
    client_paths = _write(directory, "client", client, client_key)
    ca_pem = ca.public_bytes(serialization.Encoding.PEM).decode()
    return Pki(ca_pem, *server_paths, *client_paths)


@asynccontextmanager
async def tls_server(pki: Pki, require_client_cert: bool) -> AsyncIterator[int]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.server_cert, pki.server_key)
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
    pki = make_pki(tmp_path)
    async with tls_server(pki, require_client_cert=False) as port:
        managers = ExternalKeyManagers()
        assert (await managers.vault_health(_conn(port, pki.ca_pem))).state == "ACTIVE"
        await managers.aclose()


async def test_other_cas_and_the_system_store_are_not(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    (tmp_path / "other").mkdir()
    other = make_pki(tmp_path / "other")
    async with tls_server(pki, require_client_cert=False) as port:
        managers = ExternalKeyManagers()
        for ca_pem in (other.ca_pem, None):
            with pytest.raises(EkmTlsError, match="not trusted") as caught:
                await managers.key_info(_conn(port, ca_pem), "k1")
            assert f"https://127.0.0.1:{port}" in caught.value.message


async def test_the_host_name_is_checked(tmp_path: Path) -> None:
    pki = make_pki(tmp_path, server_host="ekm.example")
    async with tls_server(pki, require_client_cert=False) as port:
        with pytest.raises(EkmTlsError, match="not trusted"):
            await ExternalKeyManagers().key_info(_conn(port, pki.ca_pem), "k1")


async def test_mutual_tls_presents_the_client_certificate(tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
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
    pki = make_pki(tmp_path)
    with pytest.raises(EkmTlsError, match="client certificate"):
        await ExternalKeyManagers(client_cert=missing).key_info(_conn(1, pki.ca_pem), "k1")
