"""CreateKeyServerKmip, ModifyKeyServerKmip, GetKeyServerKmip, ListKeyServersKmip,
DeleteKeyServerKmip and TestKeyServerKmip."""

from __future__ import annotations

from dataclasses import replace

from strongroom.api.element import render
from strongroom.api.element.method import ElementMethod
from strongroom.api.element.params import Kind, Param, Values
from strongroom.services.at_rest import key_servers
from strongroom.services.at_rest.kmip_checks import DEFAULT_KMIP_PORT
from strongroom.services.context import Call
from strongroom.services.ports import Deps

__all__ = [
    "METHODS",
    "create_key_server_kmip",
    "delete_key_server_kmip",
    "get_key_server_kmip",
    "list_key_servers_kmip",
    "modify_key_server_kmip",
    "test_key_server_kmip",
]

_SERVER_ID = Param("keyServerID", Kind.ID, required=True)


def _or_default(port: int | None) -> int:
    return DEFAULT_KMIP_PORT if port is None else port


def create_key_server_kmip(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """CreateKeyServerKmip → ``kmipKeyServer``."""
    request = key_servers.CreateKeyServerKmipRequest(
        name=params.string("kmipKeyServerName"),
        hostnames=params.strings("kmipKeyServerHostnames"),
        ca_certificate=params.string("kmipCaCertificate"),
        client_certificate=params.string("kmipClientCertificate"),
        port=_or_default(params.optional_integer("kmipKeyServerPort")),
    )
    view = key_servers.create_key_server(deps, call, request)
    return {"kmipKeyServer": render.key_server(view)}


def modify_key_server_kmip(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """ModifyKeyServerKmip → ``kmipKeyServer``."""
    request = key_servers.ModifyKeyServerKmipRequest(
        server_id=params.integer("keyServerID"),
        name=params.optional_string("kmipKeyServerName"),
        hostnames=params.optional_strings("kmipKeyServerHostnames"),
        ca_certificate=params.optional_string("kmipCaCertificate"),
        client_certificate=params.optional_string("kmipClientCertificate"),
        port=params.optional_integer("kmipKeyServerPort"),
    )
    view = key_servers.modify_key_server(deps, call, request)
    return {"kmipKeyServer": render.key_server(view)}


def get_key_server_kmip(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """GetKeyServerKmip → ``kmipKeyServer``."""
    request = key_servers.GetKeyServerKmipRequest(params.integer("keyServerID"))
    return {"kmipKeyServer": render.key_server(key_servers.get_key_server(deps, call, request))}


def list_key_servers_kmip(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """ListKeyServersKmip → ``kmipKeyServers``."""
    request = key_servers.ListKeyServersKmipRequest(
        provider_id=params.optional_integer("keyProviderID"),
        assigned_provider_is_active=params.optional_boolean("kmipAssignedProviderIsActive"),
        has_provider_assigned=params.optional_boolean("kmipHasProviderAssigned"),
    )
    views = key_servers.list_key_servers(deps, call, request)
    return {"kmipKeyServers": [render.key_server(v) for v in views]}


def delete_key_server_kmip(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """DeleteKeyServerKmip → ``{}``."""
    request = key_servers.DeleteKeyServerKmipRequest(params.integer("keyServerID"))
    key_servers.delete_key_server(deps, call, request)
    return {}


def test_key_server_kmip(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """TestKeyServerKmip → ``{}`` (or an error saying what failed)."""
    request = key_servers.TestKeyServerKmipRequest(params.integer("keyServerID"))
    key_servers.test_key_server(deps, call, request)
    return {}


_FIELDS = (
    Param("kmipCaCertificate", Kind.STRING),
    Param("kmipClientCertificate", Kind.STRING),
    Param("kmipKeyServerHostnames", Kind.STRINGS),
    Param("kmipKeyServerName", Kind.STRING),
    Param("kmipKeyServerPort", Kind.INTEGER),
)
_REQUIRED = tuple(replace(p, required=p.kind is not Kind.INTEGER) for p in _FIELDS)
_NOT_FOUND = "xKeyServerNotFound"

METHODS = (
    ElementMethod("CreateKeyServerKmip", create_key_server_kmip, _REQUIRED),
    ElementMethod("ModifyKeyServerKmip", modify_key_server_kmip, (_SERVER_ID, *_FIELDS)),
    ElementMethod("GetKeyServerKmip", get_key_server_kmip, (_SERVER_ID,), _NOT_FOUND),
    ElementMethod(
        "ListKeyServersKmip",
        list_key_servers_kmip,
        (
            Param("keyProviderID", Kind.ID),
            Param("kmipAssignedProviderIsActive", Kind.BOOLEAN),
            Param("kmipHasProviderAssigned", Kind.BOOLEAN),
        ),
    ),
    ElementMethod("DeleteKeyServerKmip", delete_key_server_kmip, (_SERVER_ID,), _NOT_FOUND),
    ElementMethod("TestKeyServerKmip", test_key_server_kmip, (_SERVER_ID,), _NOT_FOUND),
)
