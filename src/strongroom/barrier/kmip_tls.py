"""Mutual TLS to a KMIP key server, with every failure named by where it happened.

PyKMIP 0.11 builds its sockets with ``ssl.SSLContext.wrap_socket`` and no host name, so it
never checks that the certificate is the server's. Strongroom makes the connection itself
(:func:`tls_context`, :func:`connect`): TLS 1.2 or later, the key server record's CA as the
only trust anchor, the host name checked, Strongroom's client certificate and private key;
PyKMIP then speaks KMIP over the connected socket. Failures are
:class:`~strongroom.domain.at_rest.KmipFailure` with stage ``config``, ``dns``, ``tcp`` or
``tls``; messages never include certificates' or keys' contents.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, cast

from cryptography import x509

from strongroom.barrier.kmip_identity import check_private
from strongroom.domain.at_rest import KeyServer, KmipFailure

__all__ = [
    "check_private_key",
    "client_refusal",
    "connect",
    "connect_host",
    "describe_ssl_error",
    "tls_context",
]

# OpenSSL's X509_V_ERR_* codes (see ``openssl verify``) that mean "not signed by the CA".
_UNTRUSTED = {2, 18, 19, 20, 21, 27}
_HOSTNAME_MISMATCH = {62, 64}
_EXPIRED, _NOT_YET_VALID = 10, 9

# Alerts a server sends when it does not accept the client's certificate.
_CLIENT_REFUSED = {
    "TLSV1_ALERT_UNKNOWN_CA": "it is not signed by a CA the server trusts",
    "SSLV3_ALERT_BAD_CERTIFICATE": "the server found it bad",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": "the server could not verify it",
    "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE": "it is not for client authentication (its key usage)",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED": "it has expired",
    "SSLV3_ALERT_CERTIFICATE_REVOKED": "it is revoked",
    "TLSV1_ALERT_ACCESS_DENIED": "the server denied access",
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "the server requires one",
}
_NO_COMMON_PARAMETERS = {
    "SSLV3_ALERT_HANDSHAKE_FAILURE",
    "NO_SHARED_CIPHER",
    "NO_CIPHERS_AVAILABLE",
    "UNSUPPORTED_PROTOCOL",
    "WRONG_VERSION_NUMBER",
    "TLSV1_ALERT_PROTOCOL_VERSION",
}


def tls_context(server: KeyServer, key_file: Path, scratch: Path) -> ssl.SSLContext:
    """The client TLS context for ``server``: TLS 1.2 or later, its CA as the only trust
    anchor, host names checked, its client certificate with the private key in ``key_file``.

    The certificate is written to a 0600 file in ``scratch`` (a private directory the caller
    removes) because OpenSSL loads certificate chains from files. Raises KmipFailure
    ``config`` when the key file is missing or others can read it, or a certificate does not
    parse or does not match the key."""
    check_private_key(key_file)
    _parse_certificate(server.ca_certificate, "CA certificate")
    _parse_certificate(server.client_certificate, "client certificate")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    try:
        context.load_verify_locations(cadata=server.ca_certificate)
    except ssl.SSLError as error:
        raise KmipFailure(
            "config",
            f"key server {server.name}: the CA certificate cannot be used ({error.reason})",
        ) from None
    cert_file = scratch / "client-certificate.pem"
    fd = os.open(cert_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(server.client_certificate)
    try:
        context.load_cert_chain(cert_file, key_file)
    except ssl.SSLError as error:
        raise KmipFailure("config", _chain_problem(server, error)) from None
    finally:
        cert_file.unlink(missing_ok=True)
    return context


def connect(
    server: KeyServer,
    context: ssl.SSLContext,
    timeout: float,
    sessions: MutableMapping[str, ssl.SSLSession] | None = None,
) -> tuple[ssl.SSLSocket, str]:
    """A handshaken TLS connection to the first of ``server.hostnames`` that works, and that
    host name. When every host name fails, raises KmipFailure with the stage of the last
    failure and a message naming each attempt. ``sessions`` (by host and port) resumes the
    TLS session of an earlier connection made with ``context`` and records the new one."""
    if not server.hostnames:
        raise KmipFailure("config", f"key server {server.name} has no host names")
    failures: list[KmipFailure] = []
    for host in server.hostnames:
        try:
            return connect_host(host, server.port, context, timeout, sessions), host
        except KmipFailure as failure:
            failures.append(failure)
    if len(failures) == 1:
        raise failures[0]
    attempts = "; ".join(f"{failure.stage}: {failure.message}" for failure in failures)
    raise KmipFailure(
        failures[-1].stage, f"no host name of key server {server.name} worked: {attempts}"
    )


def connect_host(
    host: str,
    port: int,
    context: ssl.SSLContext,
    timeout: float,
    sessions: MutableMapping[str, ssl.SSLSession] | None = None,
) -> ssl.SSLSocket:
    """Resolve ``host``, connect to ``port`` and complete the TLS handshake, each step within
    ``timeout`` seconds (resuming a session of ``sessions`` when there is one); raises
    KmipFailure ``dns``, ``tcp`` or ``tls``."""
    addresses = _resolve(host, port, timeout)
    sock = _tcp(host, port, addresses, timeout)
    where = f"{host}:{port}"
    session = sessions.get(where) if sessions is not None else None
    try:
        connection = context.wrap_socket(
            sock, server_hostname=host, do_handshake_on_connect=False, session=session
        )
        connection.do_handshake()
    except (OSError, ValueError) as error:
        sock.close()
        if sessions is not None:
            sessions.pop(where, None)
        raise KmipFailure("tls", f"{where}: {describe_ssl_error(error, host)}") from None
    if sessions is not None and connection.session is not None:
        sessions[where] = connection.session
    return connection


def describe_ssl_error(error: BaseException, host: str) -> str:
    """What a TLS failure (during the handshake or on a connection) means, in words: the
    server's certificate not signed by the CA or not for ``host``, the client certificate
    refused by the server, no common TLS version or cipher, a timeout."""
    if isinstance(error, ssl.SSLCertVerificationError):
        code = error.verify_code
        if code in _HOSTNAME_MISMATCH:
            return f"the server certificate is not valid for host name {host}"
        if code in _UNTRUSTED:
            return (
                "the server certificate is not signed by the key server's CA certificate "
                f"({error.verify_message})"
            )
        if code == _EXPIRED:
            return "the server certificate has expired"
        if code == _NOT_YET_VALID:
            return "the server certificate is not valid yet"
        return f"the server certificate was not accepted ({error.verify_message})"
    refusal = client_refusal(error)
    if refusal is not None:
        return refusal
    if isinstance(error, ssl.SSLError):
        reason = error.reason or str(error)
        if reason in _NO_COMMON_PARAMETERS:
            return f"no TLS version or cipher suite in common with the server ({reason})"
        return f"TLS handshake failed ({reason})"
    if isinstance(error, TimeoutError):
        return "the TLS handshake timed out"
    if isinstance(error, ConnectionError):
        return (
            "the server closed the connection during the TLS handshake "
            "(it may have refused the client certificate)"
        )
    return f"TLS handshake failed ({error})"


def client_refusal(error: BaseException) -> str | None:
    """The words for an alert by which a server refused the client certificate, or None when
    ``error`` is not one."""
    reason = getattr(error, "reason", None) if isinstance(error, ssl.SSLError) else None
    if reason in _CLIENT_REFUSED:
        return f"the server refused the client certificate: {_CLIENT_REFUSED[reason]} ({reason})"
    return None


def check_private_key(key_file: Path) -> None:
    """KmipFailure ``config`` when the client private key is missing or others can read it."""
    try:
        check_private(key_file)
    except FileNotFoundError:
        raise KmipFailure(
            "config",
            f"there is no KMIP client private key ({key_file}): run "
            "CreatePublicPrivateKeyPair, then GetClientCertificateSignRequest, and have the "
            "key server's CA sign the request",
        ) from None
    except PermissionError as error:
        raise KmipFailure("config", f"the KMIP client private key is refused: {error}") from None


def _parse_certificate(pem: str, what: str) -> None:
    try:
        x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise KmipFailure("config", f"the {what} is not a PEM X.509 certificate") from None


def _chain_problem(server: KeyServer, error: ssl.SSLError) -> str:
    if error.reason == "KEY_VALUES_MISMATCH":
        return (
            f"key server {server.name}: the client certificate is not for the current KMIP "
            "client key (was it signed from the latest GetClientCertificateSignRequest?)"
        )
    return (
        f"key server {server.name}: the client certificate or key cannot be used ({error.reason})"
    )


_Addresses = list[tuple[socket.AddressFamily, socket.SocketKind, int, str, Any]]


def _resolve(host: str, port: int, timeout: float) -> _Addresses:
    """The addresses of ``host`` (in a helper thread, since getaddrinfo has no timeout)."""
    outcome: list[object] = []

    def lookup() -> None:
        try:
            outcome.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as error:
            outcome.append(error)

    thread = threading.Thread(target=lookup, name=f"kmip-dns-{host}", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        raise KmipFailure("dns", f"{host} did not resolve within {timeout:g} s")
    result = outcome[0]
    if isinstance(result, OSError):
        detail = result.strerror or str(result)
        raise KmipFailure("dns", f"{host} does not resolve ({detail})")
    return cast(_Addresses, result)


def _tcp(host: str, port: int, addresses: _Addresses, timeout: float) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that accepts."""
    last: OSError | None = None
    for family, _, _, _, address in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except OSError as error:
            sock.close()
            last = error
            continue
        return sock
    if isinstance(last, TimeoutError):
        raise KmipFailure("tcp", f"{host}:{port}: connecting timed out after {timeout:g} s")
    if isinstance(last, ConnectionRefusedError):
        raise KmipFailure("tcp", f"{host}:{port}: connection refused")
    detail = (last.strerror or str(last)) if last else "no address"
    raise KmipFailure("tcp", f"{host}:{port}: cannot connect ({detail})")
