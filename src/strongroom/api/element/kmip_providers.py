"""CreateKeyProviderKmip, GetKeyProviderKmip, ListKeyProvidersKmip, DeleteKeyProviderKmip,
AddKeyServerToProviderKmip, RemoveKeyServerFromProviderKmip and TestKeyProviderKmip."""

from __future__ import annotations

from strongroom.api.element import render
from strongroom.api.element.method import ElementMethod
from strongroom.api.element.params import Kind, Param, Values
from strongroom.services.at_rest import key_providers
from strongroom.services.context import Call
from strongroom.services.ports import Deps

__all__ = [
    "METHODS",
    "add_key_server_to_provider_kmip",
    "create_key_provider_kmip",
    "delete_key_provider_kmip",
    "get_key_provider_kmip",
    "list_key_providers_kmip",
    "remove_key_server_from_provider_kmip",
    "test_key_provider_kmip",
]

_PROVIDER_ID = Param("keyProviderID", Kind.ID, required=True)
_SERVER_ID = Param("keyServerID", Kind.ID, required=True)
_NOT_FOUND = "xKeyProviderNotFound"


def create_key_provider_kmip(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """CreateKeyProviderKmip → ``kmipKeyProvider``."""
    request = key_providers.CreateKeyProviderKmipRequest(params.string("keyProviderName"))
    view = key_providers.create_key_provider(deps, call, request)
    return {"kmipKeyProvider": render.key_provider(view)}


def get_key_provider_kmip(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """GetKeyProviderKmip → ``kmipKeyProvider``."""
    request = key_providers.GetKeyProviderKmipRequest(params.integer("keyProviderID"))
    view = key_providers.get_key_provider(deps, call, request)
    return {"kmipKeyProvider": render.key_provider(view)}


def list_key_providers_kmip(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """ListKeyProvidersKmip → ``kmipKeyProviders``."""
    request = key_providers.ListKeyProvidersKmipRequest(
        is_active=params.optional_boolean("keyProviderIsActive"),
        has_server_assigned=params.optional_boolean("kmipKeyProviderHasServerAssigned"),
    )
    views = key_providers.list_key_providers(deps, call, request)
    return {"kmipKeyProviders": [render.key_provider(v) for v in views]}


def delete_key_provider_kmip(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """DeleteKeyProviderKmip → ``{}`` (inactive providers only)."""
    request = key_providers.DeleteKeyProviderKmipRequest(params.integer("keyProviderID"))
    key_providers.delete_key_provider(deps, call, request)
    return {}


def add_key_server_to_provider_kmip(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """AddKeyServerToProviderKmip → ``{}``."""
    request = key_providers.AddKeyServerToProviderKmipRequest(
        provider_id=params.integer("keyProviderID"), server_id=params.integer("keyServerID")
    )
    key_providers.add_key_server_to_provider(deps, call, request)
    return {}


def remove_key_server_from_provider_kmip(
    deps: Deps, call: Call, params: Values
) -> dict[str, object]:
    """RemoveKeyServerFromProviderKmip → ``{}``."""
    request = key_providers.RemoveKeyServerFromProviderKmipRequest(params.integer("keyServerID"))
    key_providers.remove_key_server_from_provider(deps, call, request)
    return {}


def test_key_provider_kmip(deps: Deps, call: Call, params: Values) -> dict[str, object]:
    """TestKeyProviderKmip → ``{}`` (or an error saying what failed)."""
    request = key_providers.TestKeyProviderKmipRequest(params.integer("keyProviderID"))
    key_providers.test_key_provider(deps, call, request)
    return {}


METHODS = (
    ElementMethod(
        "CreateKeyProviderKmip",
        create_key_provider_kmip,
        (Param("keyProviderName", Kind.STRING, required=True),),
    ),
    ElementMethod("GetKeyProviderKmip", get_key_provider_kmip, (_PROVIDER_ID,), _NOT_FOUND),
    ElementMethod(
        "ListKeyProvidersKmip",
        list_key_providers_kmip,
        (
            Param("keyProviderIsActive", Kind.BOOLEAN),
            Param("kmipKeyProviderHasServerAssigned", Kind.BOOLEAN),
        ),
    ),
    ElementMethod("DeleteKeyProviderKmip", delete_key_provider_kmip, (_PROVIDER_ID,), _NOT_FOUND),
    ElementMethod(
        "AddKeyServerToProviderKmip", add_key_server_to_provider_kmip, (_PROVIDER_ID, _SERVER_ID)
    ),
    ElementMethod(
        "RemoveKeyServerFromProviderKmip", remove_key_server_from_provider_kmip, (_SERVER_ID,)
    ),
    ElementMethod("TestKeyProviderKmip", test_key_provider_kmip, (_PROVIDER_ID,), _NOT_FOUND),
)
