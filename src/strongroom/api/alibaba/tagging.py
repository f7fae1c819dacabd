"""Tag actions: TagResource, UntagResource, ListResourceTags (one key, tags as JSON) and
TagResources, UntagResources, ListTagResources (several keys, flattened lists).

A key's tags are its freeform tags (what the OCI API shows as ``freeformTags``). Writes need
UpdateKey on each key and are checked with Alibaba's limits (:mod:`.tags`) on each key's
resulting tags, in the transaction that stores them (see
:mod:`strongroom.services.kms.key_tags`); removing tags is never refused by a limit. Reads
show the tags as they are, whichever API wrote them. Only ``ResourceType`` ``key`` is served;
``RegionId`` is accepted and not used (a deployment is one region).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from strongroom.api.alibaba.action import Action
from strongroom.api.alibaba.errors import InvalidParameter, MissingParameter
from strongroom.api.alibaba.keys import UnsupportedOperation
from strongroom.api.alibaba.params import Params
from strongroom.api.alibaba.tags import MAX_LENGTH, MAX_TAGS, check_tags, tags_from_json
from strongroom.domain.key import Key
from strongroom.domain.tags import FreeformTags
from strongroom.services.context import Call
from strongroom.services.kms import keys
from strongroom.services.kms.key_places import KeyPlace, list_tenancy_keys, place_of_key
from strongroom.services.kms.key_tags import ChangeKeyTagsRequest, change_key_tags
from strongroom.services.ports import Deps

__all__ = [
    "ACTIONS",
    "list_resource_tags",
    "list_tag_resources",
    "tag_resource",
    "tag_resources",
    "untag_resource",
    "untag_resources",
]

MAX_RESOURCES = 50  # resource ids in one TagResources, UntagResources or ListTagResources
PAGE_SIZE = 200  # ListTagResources rows per page when MaxResults is not given
_OTHER_RESOURCES = ("SecretName", "CertificateId")


def tag_resource(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    key_id = _key_id(p)
    if p.optional("Tags") in (None, ""):
        raise MissingParameter("Tags")
    merge = tags_from_json(p.json("Tags"))
    if not merge:
        raise InvalidParameter("Tags", "name at least one tag")
    _change(deps, call, [place_of_key(deps, call, key_id)], merge=merge, check_name="Tags")
    return {}


def untag_resource(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    key_id = _key_id(p)
    names = p.json("TagKeys")
    if names is None:
        raise MissingParameter("TagKeys")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise InvalidParameter("TagKeys", "must be a JSON list of tag keys")
    _change(deps, call, [place_of_key(deps, call, key_id)], remove=_tag_keys(names, "TagKeys"))
    return {}


def list_resource_tags(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    key = _key(deps, call, p.text("KeyId", 255))
    rows = [{"TagKey": k, "TagValue": v, "KeyId": key.id} for k, v in sorted(_tags_of(key))]
    return {"Tags": {"Tag": rows}}


def tag_resources(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    ids = _resource_ids(p)
    merge: FreeformTags = {}
    for item in p.numbered("Tag", ("Key", "Value")):
        if not item.get("Key"):
            raise InvalidParameter("Tag.N.Key", "every tag needs a key")
        merge[item["Key"]] = item.get("Value", "")
    if not merge:
        raise MissingParameter("Tag.1.Key")
    check_tags(merge, "Tag")
    _change(deps, call, _places(deps, call, ids), merge=merge, check_name="Tag")
    return {}


def untag_resources(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    ids = _resource_ids(p)
    names = p.indexed("TagKey", MAX_TAGS, MAX_LENGTH)
    if any(not n for n in names):
        raise InvalidParameter("TagKey.N", "tag keys must not be empty")
    remove_all = not names and p.boolean("All", False)
    if not names and not remove_all:
        raise MissingParameter("TagKey.1")
    places = _places(deps, call, ids)
    _change(deps, call, places, remove=frozenset(names), remove_all=remove_all)
    return {}


def list_tag_resources(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    _resource_type(p)
    ids = p.indexed("ResourceId", MAX_RESOURCES, 255)
    wanted = _filters(p)
    size = p.integer("MaxResults", PAGE_SIZE, 1, 1000)
    after = _token_position(p.optional("NextToken", 1024))
    if ids:
        found = [_key(deps, call, key_id) for key_id in dict.fromkeys(ids)]
    else:
        found = list_tenancy_keys(deps, call)
    rows = sorted(
        (key.id, name, value)
        for key in found
        if _matches(key, wanted)
        for name, value in _tags_of(key)
        if not wanted or name in wanted
    )
    rows = [row for row in rows if after is None or row[:2] > after]
    page, more = rows[:size], len(rows) > size
    return {
        "TagResources": {
            "TagResource": [
                {"ResourceId": r, "ResourceType": "key", "TagKey": k, "TagValue": v}
                for r, k, v in page
            ]
        },
        "NextToken": _token(page[-1][:2]) if more else "",
    }


def _key_id(p: Params) -> str:
    """The KeyId of a one-resource action (tags of secrets and certificates are refused)."""
    if not p.optional("KeyId") and any(p.optional(n) for n in _OTHER_RESOURCES):
        raise UnsupportedOperation("Only keys are tagged through this API (KeyId)")
    return p.text("KeyId", 255)


def _key(deps: Deps, call: Call, key_id: str) -> Key:
    place = place_of_key(deps, call, key_id)
    return keys.get_key(
        deps, call, keys.GetKeyRequest(vault_id=place.vault_id, key_id=place.key_id)
    )


def _resource_ids(p: Params) -> list[str]:
    """The keys a several-resource write names: ResourceType ``key``, ResourceId.N."""
    _resource_type(p, required=True)
    ids = p.indexed("ResourceId", MAX_RESOURCES, 255)
    if not ids:
        raise MissingParameter("ResourceId.1")
    return ids


def _places(deps: Deps, call: Call, ids: list[str]) -> list[KeyPlace]:
    return [place_of_key(deps, call, key_id) for key_id in ids]


def _resource_type(p: Params, required: bool = False) -> None:
    kind = p.text("ResourceType", 64) if required else p.optional("ResourceType", 64)
    if kind is None or kind.lower() == "key":
        return
    if kind.lower() == "secret":
        raise UnsupportedOperation("Only keys are tagged through this API (ResourceType key)")
    raise InvalidParameter("ResourceType", "must be key")


def _tag_keys(names: list[str], parameter: str) -> frozenset[str]:
    if len(names) > MAX_TAGS or any(len(n) > MAX_LENGTH for n in names):
        raise InvalidParameter(parameter, f"at most {MAX_TAGS} tag keys of {MAX_LENGTH} characters")
    return frozenset(names)


def _change(
    deps: Deps,
    call: Call,
    places: list[KeyPlace],
    *,
    merge: FreeformTags | None = None,
    remove: frozenset[str] = frozenset(),
    remove_all: bool = False,
    check_name: str = "Tags",
) -> None:
    """One transaction for every key; Alibaba's limits on each key's resulting tags."""

    def check(tags: FreeformTags) -> None:
        check_tags(tags, check_name)

    request = ChangeKeyTagsRequest(
        keys=tuple(places), merge=merge or {}, remove=remove, remove_all=remove_all, check=check
    )
    change_key_tags(deps, call, request)


def _tags_of(key: Key) -> list[tuple[str, str]]:
    """A key's freeform tags as stored (never checked: the OCI API's limits differ)."""
    return [(str(k), str(v)) for k, v in (key.freeform_tags or {}).items()]


def _filters(p: Params) -> dict[str, str | None]:
    """ListTagResources' Tag.N: tag keys, each with the value it must have (or any)."""
    found: dict[str, str | None] = {}
    items = p.numbered("Tag", ("Key", "Value"))
    if len(items) > MAX_TAGS:
        raise InvalidParameter("Tag", f"at most {MAX_TAGS} tags")
    for item in items:
        if not item.get("Key"):
            raise InvalidParameter("Tag.N.Key", "every tag needs a key")
        found[item["Key"]] = item.get("Value")
    return found


def _matches(key: Key, wanted: dict[str, str | None]) -> bool:
    """Whether ``key`` has every tag of ``wanted`` (with its value, when one is given)."""
    tags = key.freeform_tags or {}
    return all(name in tags and value in (None, tags[name]) for name, value in wanted.items())


def _token(position: tuple[str, str]) -> str:
    """The last row a page showed (resource, tag key): the next page starts after it, so a
    tag written meanwhile neither repeats nor hides a row."""
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode()


def _token_position(token: str | None) -> tuple[str, str] | None:
    if not token:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError):
        raise InvalidParameter("NextToken", "not a token this API gave") from None
    if not (isinstance(position, list) and len(position) == 2):
        raise InvalidParameter("NextToken", "not a token this API gave")
    return str(position[0]), str(position[1])


ACTIONS = [
    Action("TagResource", tag_resource),
    Action("UntagResource", untag_resource),
    Action("ListResourceTags", list_resource_tags, changes_state=False),
    Action("TagResources", tag_resources),
    Action("UntagResources", untag_resources),
    Action("ListTagResources", list_tag_resources, changes_state=False),
]
