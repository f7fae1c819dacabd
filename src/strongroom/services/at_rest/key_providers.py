"""KMIP key providers: create, get, list, delete, assign and unassign a key server, test
(Element's *KeyProviderKmip).

As in Element, a provider holds at most one key server (which may list several host names),
and a server belongs to one provider at most. A provider is active while it holds the current
master key: then it cannot be deleted and its server cannot be removed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from strongroom.domain.at_rest import KeyProvider, KmipFailure
from strongroom.domain.errors import Conflict, IncorrectState
from strongroom.services.at_rest.key_servers import probe_server, require_server
from strongroom.services.at_rest.kmip_checks import (
    KeyProviderNotFound,
    active_provider_id,
    check_name,
)
from strongroom.services.context import Call
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "AddKeyServerToProviderKmipRequest",
    "CreateKeyProviderKmipRequest",
    "DeleteKeyProviderKmipRequest",
    "GetKeyProviderKmipRequest",
    "KeyProviderView",
    "ListKeyProvidersKmipRequest",
    "RemoveKeyServerFromProviderKmipRequest",
    "TestKeyProviderKmipRequest",
    "add_key_server_to_provider",
    "create_key_provider",
    "delete_key_provider",
    "get_key_provider",
    "list_key_providers",
    "remove_key_server_from_provider",
    "require_provider",
    "test_key_provider",
]


@dataclass(frozen=True)
class KeyProviderView:
    """A provider, whether it is active, and the ids of its key servers (one at most)."""

    provider: KeyProvider
    is_active: bool
    server_ids: tuple[int, ...]


@dataclass(frozen=True)
class CreateKeyProviderKmipRequest:
    """Create a provider named ``name`` (1 to 255 characters, need not be unique)."""

    name: str


@dataclass(frozen=True)
class GetKeyProviderKmipRequest:
    """Read provider ``provider_id``."""

    provider_id: int


@dataclass(frozen=True)
class ListKeyProvidersKmipRequest:
    """List providers, filtered by whether they are active and whether they have a key server
    (None: no filter)."""

    is_active: bool | None = None
    has_server_assigned: bool | None = None


@dataclass(frozen=True)
class DeleteKeyProviderKmipRequest:
    """Delete an inactive provider (its key server, if any, is unassigned, not deleted)."""

    provider_id: int


@dataclass(frozen=True)
class AddKeyServerToProviderKmipRequest:
    """Assign key server ``server_id`` to provider ``provider_id``."""

    provider_id: int
    server_id: int


@dataclass(frozen=True)
class RemoveKeyServerFromProviderKmipRequest:
    """Unassign key server ``server_id`` from its provider (none: nothing to do)."""

    server_id: int


@dataclass(frozen=True)
class TestKeyProviderKmipRequest:
    """Connect to the provider's key server and run a KMIP operation."""

    provider_id: int


def require_provider(tx: Transaction, provider_id: int) -> KeyProvider:
    """Provider ``provider_id`` or NotFound."""
    provider = tx.at_rest.provider(provider_id)
    if provider is None:
        raise KeyProviderNotFound(f"KMIP key provider {provider_id} does not exist")
    return provider


def _view(tx: Transaction, provider: KeyProvider, active: int | None) -> KeyProviderView:
    servers = tuple(s.id for s in tx.at_rest.servers(provider.id))
    return KeyProviderView(provider, provider.id == active, servers)


def create_key_provider(
    deps: Deps, call: Call, request: CreateKeyProviderKmipRequest
) -> KeyProviderView:
    """Store a new provider, with no key server."""
    name = check_name(request.name, "keyProviderName")
    with deps.db.transaction() as tx:
        return KeyProviderView(tx.at_rest.add_provider(name, deps.clock.now()), False, ())


def get_key_provider(deps: Deps, call: Call, request: GetKeyProviderKmipRequest) -> KeyProviderView:
    """Provider ``provider_id``."""
    with deps.db.transaction(read_only=True) as tx:
        return _view(tx, require_provider(tx, request.provider_id), active_provider_id(tx))


def list_key_providers(
    deps: Deps, call: Call, request: ListKeyProvidersKmipRequest
) -> list[KeyProviderView]:
    """Every provider matching the request's filters, by id."""
    with deps.db.transaction(read_only=True) as tx:
        active = active_provider_id(tx)
        views = [_view(tx, p, active) for p in tx.at_rest.providers()]
    if request.is_active is not None:
        views = [v for v in views if v.is_active == request.is_active]
    if request.has_server_assigned is not None:
        views = [v for v in views if bool(v.server_ids) == request.has_server_assigned]
    return views


def delete_key_provider(deps: Deps, call: Call, request: DeleteKeyProviderKmipRequest) -> None:
    """Delete a provider unless it is active; its key server stays, unassigned."""
    with deps.db.transaction() as tx:
        provider = require_provider(tx, request.provider_id)
        if provider.id == active_provider_id(tx):
            raise IncorrectState(
                f"KMIP key provider {provider.id} holds the current master key; rekey to "
                "another provider (or to internal key management) before deleting it"
            )
        for server in tx.at_rest.servers(provider.id):
            tx.at_rest.update_server(replace(server, provider_id=None))
        tx.at_rest.delete_provider(provider.id)


def add_key_server_to_provider(
    deps: Deps, call: Call, request: AddKeyServerToProviderKmipRequest
) -> None:
    """Assign a key server to a provider: a no-op when it already is; refused when the server
    belongs to another provider or the provider already has a server."""
    with deps.db.transaction() as tx:
        provider = require_provider(tx, request.provider_id)
        server = require_server(tx, request.server_id)
        if server.provider_id == provider.id:
            return
        if server.provider_id is not None:
            raise Conflict(
                f"KMIP key server {server.id} is assigned to key provider {server.provider_id}; "
                "remove it from that provider first"
            )
        if tx.at_rest.servers(provider.id):
            raise Conflict(
                f"KMIP key provider {provider.id} already has a key server (a provider has one "
                "key server, which may list several host names)"
            )
        tx.at_rest.update_server(replace(server, provider_id=provider.id))


def remove_key_server_from_provider(
    deps: Deps, call: Call, request: RemoveKeyServerFromProviderKmipRequest
) -> None:
    """Unassign a key server from its provider, unless that provider is active."""
    with deps.db.transaction() as tx:
        server = require_server(tx, request.server_id)
        if server.provider_id is None:
            return
        if server.provider_id == active_provider_id(tx):
            raise IncorrectState(
                f"KMIP key server {server.id} serves key provider {server.provider_id}, which "
                "holds the current master key; rekey to another provider first"
            )
        tx.at_rest.update_server(replace(server, provider_id=None))


def test_key_provider(deps: Deps, call: Call, request: TestKeyProviderKmipRequest) -> None:
    """Test the provider's key server; a provider with no server fails saying so."""
    with deps.db.transaction(read_only=True) as tx:
        provider = require_provider(tx, request.provider_id)
        servers = tx.at_rest.servers(provider.id)
    if not servers:
        raise KmipFailure(
            "config",
            f"KMIP key provider {provider.id} has no key server: assign one with "
            "AddKeyServerToProviderKmip",
        )
    for server in servers:
        probe_server(deps, server)
