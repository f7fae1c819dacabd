"""Throwaway TLS for tests: a CA with server and client certificates, and HTTPS for a test
server."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class TlsFiles:
    """A server certificate and key, and a client certificate and key (for mutual TLS), all
    signed by a throwaway CA; trust ``ca_pem``."""

    cert: Path
    key: Path
    ca_pem: str
    ca_file: Path
    client_cert: Path
    client_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(
    subject: str,
    issuer: tuple[x509.Name, rsa.RSAPrivateKey] | None,
    names: list[x509.GeneralName] | None,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A certificate for ``subject``: a CA when ``issuer`` is None (self-signed)."""
    now = dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer_name, signer = issuer or (_name(subject), key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.BasicConstraints(ca=issuer is None, path_length=0 if issuer is None else None),
            critical=True,
        )
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(signer, hashes.SHA256()), key


def _write_pair(directory: Path, name: str, cert: x509.Certificate, key: rsa.RSAPrivateKey) -> None:
    (directory / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path = directory / f"{name}.key"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)


def make_tls(directory: Path, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> TlsFiles:
    """A CA, a server certificate for ``hosts`` (IP addresses or DNS names) and a client
    certificate."""
    directory.mkdir(parents=True, exist_ok=True)
    ca, ca_key = _issue("strongroom-ekm test CA", None, None)
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    server, server_key = _issue(hosts[0], (ca.subject, ca_key), names)
    client, client_key = _issue("strongroom", (ca.subject, ca_key), None)
    _write_pair(directory, "ca", ca, ca_key)  # ca.key: client_certificate issues more
    _write_pair(directory, "server", server, server_key)
    _write_pair(directory, "client", client, client_key)
    ca_pem = ca.public_bytes(serialization.Encoding.PEM).decode("ascii")
    ca_path = directory / "ca.pem"
    ca_path.write_text(ca_pem)
    return TlsFiles(
        directory / "server.pem",
        directory / "server.key",
        ca_pem,
        ca_path,
        directory / "client.pem",
        directory / "client.key",
    )


def client_certificate(
    tls: TlsFiles, name: str, common_name: str, dns_names: tuple[str, ...] = ()
) -> tuple[Path, Path]:
    """Another client certificate from ``tls``'s CA (subject CN ``common_name``, optional
    subjectAltName DNS names), written next to it as ``name``.pem/.key; (cert, key)."""
    directory = tls.ca_file.parent
    ca = x509.load_pem_x509_certificate(tls.ca_pem.encode())
    ca_key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    names: list[x509.GeneralName] = [x509.DNSName(dns) for dns in dns_names]
    cert, key = _issue(common_name, (ca.subject, ca_key), names or None)
    _write_pair(directory, name, cert, key)
    return directory / f"{name}.pem", directory / f"{name}.key"


def serve_tls(server: ThreadingHTTPServer, tls: TlsFiles | None) -> bool:
    """Make ``server`` speak HTTPS with ``tls``'s server certificate; False without ``tls``."""
    if tls is None:
        return False
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls.cert, tls.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return True
