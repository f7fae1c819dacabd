"""KMIP key servers: create, modify, get, list, delete and test (Element's *KeyServerKmip).

A key server record says where to connect and which certificates to use; nothing in it is
secret, and it is stored unsealed (unsealing needs it). A server is assigned to at most one
provider (see :mod:`.key_providers`); the one assigned to the active provider holds the
master key, so it cannot be deleted, and a change to it is tested before it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from strongroom.domain.at_rest import KeyServer, KmipFailure
from strongroom.domain.errors import IncorrectState
from strongroom.services.at_rest.kmip_checks import (
    DEFAULT_KMIP_PORT,
    KeyServerNotFound,
    active_provider_id,
    check_ca_certificates,
    check_client_certificate,
    check_hostnames,
    check_name,
    check_port,
)
from strongroom.services.context import Call
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "CreateKeyServerKmipRequest",
    "DeleteKeyServerKmipRequest",
    "GetKeyServerKmipRequest",
    "KeyServerView",
    "ListKeyServersKmipRequest",
    "ModifyKeyServerKmipRequest",
    "TestKeyServerKmipRequest",
    "create_key_server",
    "delete_key_server",
    "get_key_server",
    "list_key_servers",
    "modify_key_server",
    "probe_server",
    "require_server",
    "test_key_server",
]


@dataclass(frozen=True)
class KeyServerView:
    """A key server and whether the provider it is assigned to is active."""

    server: KeyServer
    assigned_provider_is_active: bool


@dataclass(frozen=True)
class CreateKeyServerKmipRequest:
    """Create a key server record; the server is not contacted."""

    name: str
    hostnames: tuple[str, ...]
    ca_certificate: str
    client_certificate: str
    port: int = DEFAULT_KMIP_PORT


@dataclass(frozen=True)
class ModifyKeyServerKmipRequest:
    """Replace the given fields of key server ``server_id`` (None: unchanged)."""

    server_id: int
    name: str | None = None
    hostnames: tuple[str, ...] | None = None
    ca_certificate: str | None = None
    client_certificate: str | None = None
    port: int | None = None


@dataclass(frozen=True)
class GetKeyServerKmipRequest:
    """Read key server ``server_id``."""

    server_id: int


@dataclass(frozen=True)
class ListKeyServersKmipRequest:
    """List key servers, filtered by provider, by whether their provider is active and by
    whether they have a provider (None: no filter)."""

    provider_id: int | None = None
    assigned_provider_is_active: bool | None = None
    has_provider_assigned: bool | None = None


@dataclass(frozen=True)
class DeleteKeyServerKmipRequest:
    """Delete key server ``server_id`` (refused while it serves the active provider)."""

    server_id: int


@dataclass(frozen=True)
class TestKeyServerKmipRequest:
    """Connect to key server ``server_id`` (mutual TLS) and run a KMIP operation."""

    server_id: int


def require_server(tx: Transaction, server_id: int) -> KeyServer:
    """Key server ``server_id`` or NotFound."""
    server = tx.at_rest.server(server_id)
    if server is None:
        raise KeyServerNotFound(f"KMIP key server {server_id} does not exist")
    return server


def probe_server(deps: Deps, server: KeyServer) -> None:
    """Connect to ``server`` and run a harmless KMIP operation; raises KmipFailure saying
    what failed."""
    if deps.kmip is None:
        raise KmipFailure("config", "KMIP key servers cannot be used by this process")
    with deps.kmip.session(server) as session:
        session.probe()


def _view(server: KeyServer, active: int | None) -> KeyServerView:
    return KeyServerView(server, server.provider_id is not None and server.provider_id == active)


def create_key_server(deps: Deps, call: Call, request: CreateKeyServerKmipRequest) -> KeyServerView:
    """Store a new key server record after checking every field."""
    server = KeyServer(
        id=0,
        name=check_name(request.name, "kmipKeyServerName"),
        hostnames=check_hostnames(request.hostnames),
        port=check_port(request.port),
        ca_certificate=check_ca_certificates(request.ca_certificate),
        client_certificate=check_client_certificate(request.client_certificate, deps.kmip_identity),
        provider_id=None,
        time_created=deps.clock.now(),
    )
    with deps.db.transaction() as tx:
        return _view(tx.at_rest.add_server(server), None)


def modify_key_server(deps: Deps, call: Call, request: ModifyKeyServerKmipRequest) -> KeyServerView:
    """Replace the given fields; a server of the active provider is tested with its new
    settings first, so a change that would stop unsealing is refused."""
    with deps.db.transaction(read_only=True) as tx:
        current = require_server(tx, request.server_id)
    changed = replace(
        current,
        name=current.name if request.name is None else check_name(request.name, "name"),
        hostnames=current.hostnames
        if request.hostnames is None
        else check_hostnames(request.hostnames),
        port=current.port if request.port is None else check_port(request.port),
        ca_certificate=current.ca_certificate
        if request.ca_certificate is None
        else check_ca_certificates(request.ca_certificate),
        client_certificate=current.client_certificate
        if request.client_certificate is None
        else check_client_certificate(request.client_certificate, deps.kmip_identity),
    )
    with deps.db.transaction(read_only=True) as tx:
        active = active_provider_id(tx)
    if changed != current and current.provider_id is not None and current.provider_id == active:
        probe_server(deps, changed)
    with deps.db.transaction() as tx:
        stored = require_server(tx, request.server_id)
        changed = replace(changed, provider_id=stored.provider_id)
        tx.at_rest.update_server(changed)
        return _view(changed, active_provider_id(tx))


def get_key_server(deps: Deps, call: Call, request: GetKeyServerKmipRequest) -> KeyServerView:
    """Key server ``server_id``."""
    with deps.db.transaction(read_only=True) as tx:
        return _view(require_server(tx, request.server_id), active_provider_id(tx))


def list_key_servers(
    deps: Deps, call: Call, request: ListKeyServersKmipRequest
) -> list[KeyServerView]:
    """Every key server matching the request's filters, by id."""
    with deps.db.transaction(read_only=True) as tx:
        active = active_provider_id(tx)
        views = [_view(s, active) for s in tx.at_rest.servers(request.provider_id)]
    if request.assigned_provider_is_active is not None:
        wanted = request.assigned_provider_is_active
        views = [v for v in views if v.assigned_provider_is_active == wanted]
    if request.has_provider_assigned is not None:
        wanted = request.has_provider_assigned
        views = [v for v in views if (v.server.provider_id is not None) == wanted]
    return views


def delete_key_server(deps: Deps, call: Call, request: DeleteKeyServerKmipRequest) -> None:
    """Delete a key server, unless it serves the active provider (it holds the master key)."""
    with deps.db.transaction() as tx:
        server = require_server(tx, request.server_id)
        if server.provider_id is not None and server.provider_id == active_provider_id(tx):
            raise IncorrectState(
                f"KMIP key server {server.id} serves key provider {server.provider_id}, which "
                "holds the current master key; rekey to another provider first"
            )
        tx.at_rest.delete_server(server.id)


def test_key_server(deps: Deps, call: Call, request: TestKeyServerKmipRequest) -> None:
    """Connect to the key server and run a KMIP operation; raises KmipFailure saying what
    failed (DNS, TCP, TLS verification, the KMIP result reason)."""
    with deps.db.transaction(read_only=True) as tx:
        server = require_server(tx, request.server_id)
    probe_server(deps, server)
