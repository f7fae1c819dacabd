"""The port to KMIP key servers holding external master keys (implemented by
:mod:`strongroom.barrier.kmip_client`), and to Strongroom's own KMIP client identity."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from strongroom.domain.at_rest import KeyServer

__all__ = ["ClientIdentity", "KmipConnector", "KmipSession"]


class KmipSession(Protocol):
    """Port: one mutually authenticated KMIP connection to a key server.

    Every method raises :class:`strongroom.domain.at_rest.KmipFailure` (stage ``kmip`` with
    the server's result reason, or ``tcp``/``tls`` when the connection breaks)."""

    def create_master_key(self, name: str) -> str:
        """KMIP Create of an AES-256 symmetric key named ``name``, then Activate; returns
        the key's unique identifier on the server."""
        ...

    def get_key(self, uid: str) -> bytes:
        """KMIP Get of the symmetric key ``uid``: its 32 bytes (held in memory only)."""
        ...

    def destroy_key(self, uid: str) -> None:
        """KMIP Revoke (cessation of operation) then Destroy of ``uid``; a key already gone
        is not an error."""
        ...

    def probe(self) -> None:
        """Run a harmless KMIP operation (Query) to prove the server answers."""
        ...


class KmipConnector(Protocol):
    """Port: opens KMIP sessions to key servers with Strongroom's client identity."""

    def session(self, server: KeyServer) -> AbstractContextManager[KmipSession]:
        """A session to ``server``, trying its host names in turn (mutual TLS 1.2, its CA,
        its client certificate and Strongroom's client private key). Raises
        :class:`~strongroom.domain.at_rest.KmipFailure` saying what failed (``config``: no
        client key or a bad certificate; ``dns``; ``tcp``; ``tls``: verification or handshake)."""
        ...


class ClientIdentity(Protocol):
    """Port: Strongroom's KMIP client key pair (a 0600 file in the data directory: it
    cannot be sealed by the master key it is needed to fetch)."""

    def create_key_pair(self, subject: dict[str, str]) -> None:
        """Make a new RSA key pair for ``subject`` (Element's field names: commonName,
        organization, organizationalUnit, locality, state, country, emailAddress), replacing
        the previous one."""
        ...

    def certificate_sign_request(self) -> str:
        """A PEM PKCS#10 request for the current key pair (one is made first when none
        exists), for the KMIP server's CA to sign."""
        ...
