"""Fixtures for tests against a real PyKMIP key server (loaded with
``pytest_plugins = ["tests.integration.kmip_fixtures"]``, never imported directly).

- ``kmip_server``: a running :class:`tests.kmip_server.KmipTestServer` shared by the tests of
  one module (do not stop or kill it; use ``kmip_server_factory`` for that).
- ``kmip_server_factory``: ``kmip_server_factory(**kwargs)`` starts a fresh server of the
  test's own (kwargs go to ``KmipTestServer``: ``server_hosts``...); every server it made is
  killed when the test ends.
- ``kmip_identity``: a :class:`~strongroom.barrier.kmip_identity.FileClientIdentity` in the
  test's own data directory (no key pair yet).
- ``kmip_client_certificate``: the identity's CSR signed by ``kmip_server``'s CA.
- ``kmip_key_server``: a ``KeyServer`` record for ``kmip_server`` (host name ``localhost``)
  with that client certificate; ``kmip_connector``: a ``PyKmipConnector`` on the identity's
  key file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strongroom.barrier.kmip_client import PyKmipConnector
from strongroom.barrier.kmip_identity import FileClientIdentity
from strongroom.domain.at_rest import KeyServer
from tests.kmip_server import KmipServerFactory, KmipTestServer


@pytest.fixture(scope="module")
def kmip_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KmipTestServer]:
    """A running PyKMIP server for the tests of one module."""
    with KmipTestServer(tmp_path_factory.mktemp("kmip")) as server:
        yield server


@pytest.fixture
def kmip_server_factory(tmp_path: Path) -> Iterator[KmipServerFactory]:
    """Starts servers a test may stop, kill and restart; all are killed at its end."""
    made: list[KmipTestServer] = []

    def make(**kwargs: Any) -> KmipTestServer:
        server = KmipTestServer(tmp_path / f"kmip-{len(made)}", **kwargs)
        made.append(server)
        server.start()
        return server

    yield make
    for server in made:
        server.kill()


@pytest.fixture
def kmip_identity(tmp_path: Path) -> FileClientIdentity:
    """Strongroom's KMIP client identity in a fresh data directory (no key pair yet)."""
    return FileClientIdentity(tmp_path / "data")


@pytest.fixture
def kmip_client_certificate(kmip_server: KmipTestServer, kmip_identity: FileClientIdentity) -> str:
    """A client certificate for ``kmip_identity`` (commonName strongroom) signed by the
    module's server's CA."""
    return kmip_server.sign_csr(kmip_identity.certificate_sign_request())


@pytest.fixture
def kmip_key_server(kmip_server: KmipTestServer, kmip_client_certificate: str) -> KeyServer:
    """The key server record of the module's server, with a working client certificate."""
    return kmip_server.key_server(kmip_client_certificate)


@pytest.fixture
def kmip_connector(kmip_identity: FileClientIdentity) -> PyKmipConnector:
    """A connector using ``kmip_identity``'s private key."""
    return PyKmipConnector(kmip_identity.key_file)
