"""The Element listener's TLS certificate and Basic credentials, in DATA_DIR/element/.

``ca.pem``: a CA made for this data directory (its key is discarded once it has signed);
``cert.pem`` / ``key.pem``: the server certificate it signed, naming ``localhost``, this
host's names and addresses; ``credentials``: ``{"username": "admin", "password": ...}``, 0600.
Made by ``strongroom init`` and, for older data directories, on the first
``serve --element-port``; files already there are kept."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from strongroom.api.element.auth import CREDENTIALS_FILE

__all__ = [
    "ELEMENT_DIR",
    "ElementMaterial",
    "ensure_element_material",
    "server_names",
]

ELEMENT_DIR = "element"
_USERNAME = "admin"
_VALIDITY = timedelta(days=3650)


@dataclass(frozen=True)
class ElementMaterial:
    """Where the Element listener's files are."""

    directory: Path

    @property
    def ca(self) -> Path:
        """The CA certificate clients verify the listener against."""
        return self.directory / "ca.pem"

    @property
    def cert(self) -> Path:
        """The listener's certificate (PEM)."""
        return self.directory / "cert.pem"

    @property
    def key(self) -> Path:
        """The listener's private key (PEM, 0600)."""
        return self.directory / "key.pem"

    @property
    def credentials(self) -> Path:
        """The Basic credentials (JSON, 0600)."""
        return self.directory / CREDENTIALS_FILE


def ensure_element_material(data_dir: Path, host: str | None = None) -> ElementMaterial:
    """Make what is missing of DATA_DIR/element/ (``host``: the serve address, named in a new
    certificate when it is an address)."""
    material = ElementMaterial(data_dir / ELEMENT_DIR)
    material.directory.mkdir(mode=0o700, exist_ok=True)
    if not material.credentials.exists():
        password = secrets.token_urlsafe(24)
        _write(material.credentials, json.dumps({"username": _USERNAME, "password": password}))
    if not (material.cert.exists() and material.key.exists() and material.ca.exists()):
        _make_certificates(material, host)
    return material


def server_names(host: str | None = None) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) the server certificate names: localhost, this host's names,
    the loopback addresses, ``host`` when it is a specific address, and the addresses this
    host's name resolves to."""
    names = ["localhost"]
    for name in (socket.gethostname(), socket.getfqdn()):
        if name and name not in names and not _is_address(name):
            names.append(name)
    addresses = ["127.0.0.1", "::1"]
    if host and _is_address(host) and not ipaddress.ip_address(host).is_unspecified:
        addresses.append(str(ipaddress.ip_address(host)))
    try:
        resolved = socket.getaddrinfo(socket.gethostname(), None)
    except OSError:
        resolved = []
    for *_, sockaddr in resolved:
        address = str(sockaddr[0]).split("%")[0]
        if _is_address(address):
            addresses.append(address)
    return names, list(dict.fromkeys(addresses))


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _make_certificates(material: ElementMaterial, host: str | None) -> None:
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Strongroom Element API CA")])
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(ca=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names, addresses = server_names(host)
    alternative: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    alternative += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[-1])])
    cert = (
        _builder(subject, ca_name, key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    for path in (material.key, material.cert, material.ca):
        path.unlink(missing_ok=True)
    _write(material.key, key_pem.decode("ascii"))
    _write(material.cert, cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    _write(material.ca, ca_cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, now: datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
    )


def _usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _write(path: Path, text: str) -> None:
    """Create ``path`` readable and writable by its owner only (0600 from the start)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
