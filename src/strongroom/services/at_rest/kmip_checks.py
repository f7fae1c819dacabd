"""What the KMIP key-server and provider use cases share: which provider is active, and the
checks of names, host names, ports and certificates (nothing here is secret)."""

from __future__ import annotations

import ipaddress
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from strongroom.domain.at_rest import MasterKeyRecord, MasterKeyState
from strongroom.domain.errors import InvalidParameter, NotFound
from strongroom.services.kmip_port import ClientIdentity
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "DEFAULT_KMIP_PORT",
    "MAX_HOSTNAMES",
    "MAX_NAME",
    "KeyProviderNotFound",
    "KeyServerNotFound",
    "active_master_key",
    "active_provider_id",
    "check_ca_certificates",
    "check_client_certificate",
    "check_hostnames",
    "check_name",
    "check_port",
]

DEFAULT_KMIP_PORT = 5696
MAX_NAME = 255
MAX_HOSTNAMES = 16
_MAX_PEM = 64 * 1024
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


class KeyProviderNotFound(NotFound):
    """No KMIP key provider has the id asked for."""


class KeyServerNotFound(NotFound):
    """No KMIP key server has the id asked for."""


def active_master_key(tx: Transaction) -> MasterKeyRecord | None:
    """The master key wrapping the keyring now (None in a store not yet adopted)."""
    active = tx.at_rest.master_keys([MasterKeyState.ACTIVE])
    return active[-1] if active else None


def active_provider_id(tx: Transaction) -> int | None:
    """The provider holding the ACTIVE master key (None: the master key is internal)."""
    record = active_master_key(tx)
    return record.provider_id if record is not None else None


def check_name(value: str, what: str) -> str:
    """``value`` when it is 1 to 255 characters with no control characters."""
    if not 1 <= len(value) <= MAX_NAME:
        raise InvalidParameter(f"{what} must be 1 to {MAX_NAME} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidParameter(f"{what} must not contain control characters")
    return value


def check_hostnames(values: tuple[str, ...]) -> tuple[str, ...]:
    """Host names or IP addresses, at least one, each a valid DNS name or address."""
    if not values:
        raise InvalidParameter("kmipKeyServerHostnames must list at least one host name")
    if len(values) > MAX_HOSTNAMES:
        raise InvalidParameter(f"kmipKeyServerHostnames lists at most {MAX_HOSTNAMES} hosts")
    for host in values:
        if not _valid_host(host):
            raise InvalidParameter(f"{host!r} is not a valid host name or IP address")
    return values


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    name = host[:-1] if host.endswith(".") else host
    if not 0 < len(name) <= 253:
        return False
    return all(_LABEL.fullmatch(label) for label in name.split("."))


def check_port(port: int) -> int:
    """``port`` when it is between 1 and 65535."""
    if not 1 <= port <= 65535:
        raise InvalidParameter("kmipKeyServerPort must be between 1 and 65535")
    return port


def _load_certificates(pem: str, what: str) -> list[x509.Certificate]:
    if len(pem) > _MAX_PEM or "-----BEGIN CERTIFICATE-----" not in pem:
        raise InvalidParameter(f"{what} must be a PEM X.509 certificate")
    try:
        return x509.load_pem_x509_certificates(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise InvalidParameter(f"{what} is not a valid PEM X.509 certificate") from None


def check_ca_certificates(pem: str) -> str:
    """``pem`` when it holds one or more PEM X.509 certificates (the key server's CAs)."""
    _load_certificates(pem, "kmipCaCertificate")
    return pem


def check_client_certificate(pem: str, identity: ClientIdentity | None) -> str:
    """``pem`` when it is one PEM X.509 certificate and, when Strongroom's client identity is
    known, certifies Strongroom's current key pair (the one its CSR is made from)."""
    certificates = _load_certificates(pem, "kmipClientCertificate")
    if len(certificates) != 1:
        raise InvalidParameter("kmipClientCertificate must hold exactly one certificate")
    if identity is not None:
        csr = x509.load_pem_x509_csr(identity.certificate_sign_request().encode("ascii"))
        if _spki(certificates[0].public_key()) != _spki(csr.public_key()):
            raise InvalidParameter(
                "kmipClientCertificate does not certify Strongroom's current KMIP client key "
                "pair: sign the request GetClientCertificateSignRequest returns"
            )
    return pem


def _spki(key: object) -> bytes:
    public_bytes = getattr(key, "public_bytes", None)
    if public_bytes is None:
        return b""
    encoded: bytes = public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return encoded
