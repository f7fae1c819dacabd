"""KMIP sessions to a customer's key server, through PyKMIP (implements
:class:`strongroom.services.kmip_port.KmipConnector` structurally).

Strongroom opens the mutually authenticated TLS connection itself (:mod:`.kmip_tls`: real
certificate and host name checks, classifiable failures) and hands the connected socket to
PyKMIP's ``ProxyKmipClient``, which then only encodes and decodes KMIP. PyKMIP is given an
empty configuration file, so it never reads ``/etc/pykmip`` or ``~/.pykmip``.

Every failure is a :class:`~strongroom.domain.at_rest.KmipFailure`; operation failures carry
the server's result reason (``ITEM_NOT_FOUND``...) and message. Key material is never logged
or put in a message, and PyKMIP's wire logger (which would hex-dump it at DEBUG) is held at
INFO.
"""

from __future__ import annotations

import logging
import os
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from kmip.core import enums
from kmip.pie import exceptions as kmip_errors
from kmip.pie import objects as kmip_objects
from kmip.pie.client import ProxyKmipClient
from kmip.services.kmip_client import KMIPProxy
from kmip.services.kmip_protocol import KMIPProtocol

from strongroom.barrier.kmip_tls import check_private_key, connect, describe_ssl_error, tls_context
from strongroom.domain.at_rest import KeyServer, KmipFailure

__all__ = ["KmipOperationFailed", "PyKmipConnector", "PyKmipSession"]

_T = TypeVar("_T")
_GONE = {"ITEM_NOT_FOUND"}
_ALREADY_REVOKED = {"ILLEGAL_OPERATION", "WRONG_KEY_LIFECYCLE_STATE"}
_WIRE_LOGGER = "kmip.services.kmip_protocol"
_MAX_CONTEXTS = 64  # distinct key-server configurations kept; beyond, all are made afresh


class PyKmipConnector:
    """Opens KMIP sessions with Strongroom's client private key (``key_file``, see
    :class:`strongroom.barrier.kmip_identity.FileClientIdentity`); each connection step and
    each operation waits at most ``timeout`` seconds for the network."""

    def __init__(self, key_file: Path, timeout: float = 3.0) -> None:
        self._key_file = Path(key_file)
        self._timeout = timeout
        # TLS contexts by what they are made of (certificates, the key file's identity), and
        # TLS sessions to resume by host:port: a rekey opens several sessions to one server,
        # and loading a chain and a full handshake cost more than the KMIP calls themselves.
        self._contexts: dict[tuple[object, ...], _Context] = {}
        self._lock = threading.Lock()

    @contextmanager
    def session(self, server: KeyServer) -> Iterator[PyKmipSession]:
        """A session to ``server``, trying its host names in turn; closed on exit. Raises
        KmipFailure (``config``, ``dns``, ``tcp``, ``tls``) when no host name works."""
        _quiet_wire_logger()
        context = self._context(server)
        connection, host = connect(server, context.tls, self._timeout, context.sessions)
        try:
            client = _adopting_client(connection)
        except BaseException:
            connection.close()
            raise
        try:
            yield PyKmipSession(client, f"{host}:{server.port}", host)
        finally:
            client.close()

    def _context(self, server: KeyServer) -> _Context:
        """The TLS context for ``server``, made once per certificates and key file."""
        check_private_key(self._key_file)
        stat = self._key_file.stat()
        key = (
            server.ca_certificate,
            server.client_certificate,
            stat.st_ino,
            stat.st_mtime_ns,
            stat.st_size,
        )
        with self._lock:
            context = self._contexts.get(key)
        if context is None:
            with tempfile.TemporaryDirectory(prefix="strongroom-kmip-") as scratch:
                context = _Context(tls_context(server, self._key_file, Path(scratch)), {})
            with self._lock:
                if len(self._contexts) >= _MAX_CONTEXTS:
                    self._contexts.clear()
                self._contexts[key] = context
        return context


@dataclass(frozen=True)
class _Context:
    """A TLS context and the sessions to resume with it (a session belongs to its context)."""

    tls: ssl.SSLContext
    sessions: dict[str, ssl.SSLSession]


class PyKmipSession:
    """One open KMIP connection (implements :class:`strongroom.services.kmip_port.KmipSession`);
    ``where`` (host:port) names the server in messages."""

    def __init__(self, client: ProxyKmipClient, where: str, host: str) -> None:
        self._client = client
        self._where = where
        self._host = host

    def create_master_key(self, name: str) -> str:
        """KMIP Create of an AES-256 key named ``name`` (usable to encrypt and decrypt), then
        Activate; returns its unique identifier. A key that cannot be activated is destroyed
        (best effort) before the failure is raised."""
        masks = [enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT]
        uid = str(
            self._call(
                "Create",
                lambda: self._client.create(
                    enums.CryptographicAlgorithm.AES,
                    256,
                    name=name,
                    cryptographic_usage_mask=masks,
                ),
            )
        )
        try:
            self._call("Activate", lambda: self._client.activate(uid))
        except KmipFailure:
            with suppress(KmipFailure):
                self._call("Destroy", lambda: self._client.destroy(uid))
            raise
        return uid

    def get_key(self, uid: str) -> bytes:
        """KMIP Get of ``uid``: its 32 bytes. Raises KmipFailure ``kmip`` when the server
        fails the Get (the result reason, such as ITEM_NOT_FOUND) or the object is not a
        256-bit symmetric key."""
        managed = self._call("Get", lambda: self._client.get(uid))
        if not isinstance(managed, kmip_objects.SymmetricKey):
            kind = type(managed).__name__
            raise KmipFailure(
                "kmip", f"{self._where}: object {uid} is a {kind}, not a symmetric key"
            )
        value = bytes(managed.value)
        if len(value) != 32:
            raise KmipFailure(
                "kmip", f"{self._where}: object {uid} is a {len(value) * 8}-bit key, not 256-bit"
            )
        return value

    def destroy_key(self, uid: str) -> None:
        """KMIP Revoke (cessation of operation) then Destroy of ``uid``. A key already gone
        (ITEM_NOT_FOUND) or already revoked is not an error."""
        try:
            self._call(
                "Revoke",
                lambda: self._client.revoke(
                    enums.RevocationReasonCode.CESSATION_OF_OPERATION,
                    uid,
                    revocation_message="retired by Strongroom",
                ),
            )
        except KmipOperationFailed as failure:
            if failure.reason in _GONE:
                return
            if failure.reason not in _ALREADY_REVOKED:
                raise
        try:
            self._call("Destroy", lambda: self._client.destroy(uid))
        except KmipOperationFailed as failure:
            if failure.reason not in _GONE:
                raise

    def probe(self) -> None:
        """KMIP Query (the operations the server supports): proves it answers and accepts
        Strongroom's client certificate."""
        functions = [enums.QueryFunction.QUERY_OPERATIONS]
        result = self._call("Query", lambda: self._client.proxy.query(query_functions=functions))
        status = result.result_status.value
        if status != enums.ResultStatus.SUCCESS:
            raise KmipOperationFailed(
                self._where,
                "Query",
                result.result_reason.value.name,
                result.result_message.value,
            )

    def _call(self, operation: str, run: Callable[[], _T]) -> _T:
        """Run one PyKMIP call, mapping its failures to KmipFailure."""
        try:
            return run()
        except kmip_errors.KmipOperationFailure as error:
            raise KmipOperationFailed(
                self._where, operation, error.reason.name, str(error.message)
            ) from None
        except (ssl.SSLError, ssl.CertificateError) as error:
            detail = describe_ssl_error(error, self._host)
            raise KmipFailure("tls", f"{self._where}: {operation}: {detail}") from None
        except TimeoutError:
            raise KmipFailure("tcp", f"{self._where}: {operation}: no answer in time") from None
        except (OSError, EOFError) as error:
            raise KmipFailure(
                "tcp", f"{self._where}: {operation}: the connection broke ({_brief(error)})"
            ) from None
        except Exception as error:  # PyKMIP raises plain exceptions for malformed answers
            raise KmipFailure(
                "kmip", f"{self._where}: {operation}: unexpected answer ({type(error).__name__})"
            ) from None


class KmipOperationFailed(KmipFailure):
    """A KMIP operation the server answered with a failure; ``reason`` is its result reason
    (``ITEM_NOT_FOUND``, ``PERMISSION_DENIED``...), and the stage is ``kmip`` (``tls`` for
    AUTHENTICATION_NOT_SUCCESSFUL: the server refused the client certificate)."""

    def __init__(self, where: str, operation: str, reason: str, message: str) -> None:
        if reason == "AUTHENTICATION_NOT_SUCCESSFUL":
            super().__init__(
                "tls",
                f"{where}: {operation}: the server refused the client certificate ({message})",
            )
        else:
            super().__init__("kmip", f"{where}: {operation} failed: {reason}: {message}")
        self.reason = reason


class _AdoptingProxy(KMIPProxy):  # type: ignore[misc]
    """PyKMIP's proxy over a connection Strongroom already made and verified."""

    def __init__(self, connection: ssl.SSLSocket, config_file: str) -> None:
        super().__init__(config_file=config_file)
        self._connection = connection

    def open(self) -> None:
        self.socket = self._connection
        self.protocol = KMIPProtocol(self._connection)


def _adopting_client(connection: ssl.SSLSocket) -> ProxyKmipClient:
    # An empty configuration: PyKMIP never reads /etc/pykmip or ~/.pykmip.
    client = ProxyKmipClient(config_file=os.devnull)
    client.proxy = _AdoptingProxy(connection, os.devnull)
    client.open()
    return client


def _quiet_wire_logger() -> None:
    logger = logging.getLogger(_WIRE_LOGGER)
    if logger.getEffectiveLevel() < logging.INFO:
        logger.setLevel(logging.INFO)


def _brief(error: BaseException) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__
