"""Pinning the subject of mutual-TLS client certificates (``serve --tls-client-subject``).

Python's ssl module has no verification callback, so the CA is checked by the handshake and the
subject right after it: the HTTP protocol's ``connection_made`` (which asyncio calls once the
handshake is complete) reads the verified peer certificate and closes the connection before any
request is read when no pinned name matches. A name matches the certificate's subject common
name or one of its subjectAltName DNS names, exactly but for case (no wildcards).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from strongroom.http_protocol import OneWriteProtocol

log = logging.getLogger("strongroom.ekm_proxy")


def certificate_names(peercert: Any) -> list[str]:
    """The subject CNs and subjectAltName DNS names of ``ssl.getpeercert()``'s dict."""
    if not isinstance(peercert, dict):
        return []
    names = [
        value for rdn in peercert.get("subject", ()) for key, value in rdn if key == "commonName"
    ]
    names += [value for kind, value in peercert.get("subjectAltName", ()) if kind == "DNS"]
    return names


def subject_allowed(peercert: Any, allowed: frozenset[str]) -> bool:
    """Whether one of the certificate's names is pinned (``allowed`` is lower-cased)."""
    return any(name.lower() in allowed for name in certificate_names(peercert))


def pinned_protocol(subjects: Iterable[str]) -> type[OneWriteProtocol]:
    """uvicorn's HTTP protocol, closing connections whose client certificate has none of
    ``subjects`` (the CA is already verified by the handshake: ``--tls-client-ca``)."""
    allowed = frozenset(name.lower() for name in subjects)

    class PinnedSubjectProtocol(OneWriteProtocol):
        _refused = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            peercert = transport.get_extra_info("peercert")
            if subject_allowed(peercert, allowed):
                return
            self._refused = True  # bytes the TLS layer still hands over are never parsed
            names = ", ".join(certificate_names(peercert)) or "no names"
            log.warning(
                "closed the TLS connection from %s before reading a request: its client "
                "certificate (%s) matches no --tls-client-subject",
                transport.get_extra_info("peername"),
                names[:300],
            )
            transport.close()

        def data_received(self, data: bytes) -> None:
            if not self._refused:
                super().data_received(data)

    return PinnedSubjectProtocol
