"""KMIP key servers and providers through the services (SQLite and PostgreSQL), against a
real PyKMIP server: create, list by filter, assign, test, modify, and the refusals."""

from __future__ import annotations

import pytest

from strongroom.domain.at_rest import KmipFailure
from strongroom.domain.errors import Conflict, InvalidParameter, NotFound
from strongroom.services.at_rest import key_providers as kp
from strongroom.services.at_rest import key_servers as ks
from strongroom.services.context import Call
from strongroom.services.ports import Deps
from tests.kmip_server import KmipTestServer

pytest_plugins = ["tests.integration.kmip_fixtures"]


def _server(deps: Deps, call: Call, kmip: KmipTestServer, name: str) -> int:
    assert deps.kmip_identity is not None
    certificate = kmip.sign_csr(deps.kmip_identity.certificate_sign_request())
    request = ks.CreateKeyServerKmipRequest(
        name, ("localhost",), kmip.ca_pem, certificate, kmip.port
    )
    return ks.create_key_server(deps, call, request).server.id


def test_servers_and_providers(deps: Deps, admin_call: Call, kmip_server: KmipTestServer) -> None:
    server_id = _server(deps, admin_call, kmip_server, "uc-server")
    provider = kp.create_key_provider(deps, admin_call, kp.CreateKeyProviderKmipRequest("uc"))
    provider_id = provider.provider.id
    unassigned = ks.list_key_servers(
        deps, admin_call, ks.ListKeyServersKmipRequest(has_provider_assigned=False)
    )
    assert server_id in [view.server.id for view in unassigned]

    kp.add_key_server_to_provider(
        deps, admin_call, kp.AddKeyServerToProviderKmipRequest(provider_id, server_id)
    )
    view = kp.get_key_provider(deps, admin_call, kp.GetKeyProviderKmipRequest(provider_id))
    assert view.server_ids == (server_id,) and not view.is_active
    ks.test_key_server(deps, admin_call, ks.TestKeyServerKmipRequest(server_id))
    kp.test_key_provider(deps, admin_call, kp.TestKeyProviderKmipRequest(provider_id))

    modified = ks.modify_key_server(
        deps, admin_call, ks.ModifyKeyServerKmipRequest(server_id, name="renamed")
    )
    assert modified.server.name == "renamed" and modified.server.provider_id == provider_id

    kp.remove_key_server_from_provider(
        deps, admin_call, kp.RemoveKeyServerFromProviderKmipRequest(server_id)
    )
    kp.delete_key_provider(deps, admin_call, kp.DeleteKeyProviderKmipRequest(provider_id))
    ks.delete_key_server(deps, admin_call, ks.DeleteKeyServerKmipRequest(server_id))
    with pytest.raises(NotFound):
        ks.get_key_server(deps, admin_call, ks.GetKeyServerKmipRequest(server_id))


def test_refusals(deps: Deps, admin_call: Call, kmip_server: KmipTestServer) -> None:
    with pytest.raises(InvalidParameter):
        ks.create_key_server(
            deps,
            admin_call,
            ks.CreateKeyServerKmipRequest("bad", ("localhost",), "not a pem", "nor this", 5696),
        )
    with pytest.raises(InvalidParameter):
        ks.create_key_server(
            deps,
            admin_call,
            ks.CreateKeyServerKmipRequest("bad", (), kmip_server.ca_pem, "x", 5696),
        )
    with pytest.raises(NotFound):
        kp.get_key_provider(deps, admin_call, kp.GetKeyProviderKmipRequest(424242))
    empty = kp.create_key_provider(deps, admin_call, kp.CreateKeyProviderKmipRequest("empty"))
    with pytest.raises(KmipFailure, match=r"no key server|has no"):
        kp.test_key_provider(deps, admin_call, kp.TestKeyProviderKmipRequest(empty.provider.id))
    first = _server(deps, admin_call, kmip_server, "one")
    second = _server(deps, admin_call, kmip_server, "two")
    pid = empty.provider.id
    kp.add_key_server_to_provider(
        deps, admin_call, kp.AddKeyServerToProviderKmipRequest(pid, first)
    )
    with pytest.raises(Conflict):  # a provider has one key server
        kp.add_key_server_to_provider(
            deps, admin_call, kp.AddKeyServerToProviderKmipRequest(pid, second)
        )
