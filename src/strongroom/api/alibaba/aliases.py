"""Alias actions: CreateAlias, UpdateAlias, DeleteAlias, ListAliases, ListAliasesByKeyId.
Any action's ``KeyId`` may be an alias too (see services.kms.key_places)."""

from __future__ import annotations

from typing import Any

from strongroom.api.alibaba.action import Action
from strongroom.api.alibaba.params import Params
from strongroom.domain.key_alias import KeyAlias
from strongroom.services.context import Call
from strongroom.services.kms import aliases
from strongroom.services.ports import Deps

__all__ = [
    "ACTIONS",
    "create_alias",
    "delete_alias",
    "list_aliases",
    "list_aliases_by_key_id",
    "update_alias",
]

_NAME = 255


def _rendered(deps: Deps, alias: KeyAlias) -> dict[str, Any]:
    return {
        "AliasName": alias.name,
        "AliasArn": f"acs:kms:{deps.region}:{alias.tenancy_id}:{alias.name}",
        "KeyId": alias.key_id,
    }


def _page(deps: Deps, found: aliases.AliasPage) -> dict[str, Any]:
    return {
        "Aliases": {"Alias": [_rendered(deps, a) for a in found.aliases]},
        "TotalCount": found.total_count,
        "PageNumber": found.page_number,
        "PageSize": found.page_size,
    }


def create_alias(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    request = aliases.CreateAliasRequest(
        alias_name=p.text("AliasName", _NAME), key_id=p.text("KeyId", _NAME)
    )
    aliases.create_alias(deps, call, request)
    return {}


def update_alias(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    request = aliases.UpdateAliasRequest(
        alias_name=p.text("AliasName", _NAME), key_id=p.text("KeyId", _NAME)
    )
    aliases.update_alias(deps, call, request)
    return {}


def delete_alias(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    request = aliases.DeleteAliasRequest(alias_name=p.text("AliasName", _NAME))
    aliases.delete_alias(deps, call, request)
    return {}


def list_aliases(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    request = aliases.ListAliasesRequest(
        page_number=p.integer("PageNumber", 1, 1, 1_000_000),
        page_size=p.integer("PageSize", 10, 1, 100),
    )
    return _page(deps, aliases.list_aliases(deps, call, request))


def list_aliases_by_key_id(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    request = aliases.ListAliasesByKeyIdRequest(
        key_id=p.text("KeyId", _NAME),
        page_number=p.integer("PageNumber", 1, 1, 1_000_000),
        page_size=p.integer("PageSize", 10, 1, 100),
    )
    return _page(deps, aliases.list_aliases_by_key_id(deps, call, request))


ACTIONS = [
    Action("CreateAlias", create_alias),
    Action("UpdateAlias", update_alias),
    Action("DeleteAlias", delete_alias, not_found="Forbidden.AliasNotFound"),
    Action("ListAliases", list_aliases, changes_state=False),
    Action("ListAliasesByKeyId", list_aliases_by_key_id, changes_state=False),
]
