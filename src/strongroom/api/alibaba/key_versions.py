"""Key versions and what this service does not offer.

CreateKeyVersion is OCI's CreateKeyVersion (rotation: the new version becomes the key's
current one, older versions still decrypt what they encrypted); ListKeyVersions and
DescribeKeyVersion are OCI's ListKeyVersions and GetKeyVersion. An EXTERNAL key (a key of an
XKI instance) is refused all three: its material lives in the external key manager.

Actions of the API that Strongroom does not offer are answered, not left unknown:
GetParametersForImport, ImportKeyMaterial and DeleteKeyMaterial (importing key material), and
UpdateRotationPolicy turning automatic rotation on (turning it off is a no-op: it never is on),
each with ``Rejected.UnsupportedOperation`` and why. The SDKs have no backup actions.
"""

from __future__ import annotations

from typing import Any

from strongroom.api.alibaba.action import Action
from strongroom.api.alibaba.keys import UnsupportedOperation
from strongroom.api.alibaba.params import Params
from strongroom.api.alibaba.render import iso
from strongroom.api.alibaba.xki import (
    XkiFeature,
    refuse_if_xki,
    refuse_on_xki_key,
    why_unsupported,
)
from strongroom.domain.key import Key, KeyVersion
from strongroom.domain.paging import MAX_LIMIT, PageRequest
from strongroom.services.context import Call
from strongroom.services.kms import key_versions, keys
from strongroom.services.kms.key_places import KeyPlace, place_of_key
from strongroom.services.ports import Deps

__all__ = [
    "ACTIONS",
    "EXTERNAL_KEY_VERSIONS",
    "IMPORT_UNSUPPORTED",
    "ROTATION_UNSUPPORTED",
    "create_key_version",
    "describe_key_version",
    "list_key_versions",
    "refuse_for_external",
    "refuse_key_material_import",
    "update_rotation_policy",
]

EXTERNAL_KEY_VERSIONS = why_unsupported(XkiFeature.KEY_VERSIONS)
IMPORT_UNSUPPORTED = (
    "Importing key material is not supported: keys are made in Strongroom (Origin "
    "Aliyun_KMS), or held in an external key manager through an XKI instance (ExternalKeyId)"
)
ROTATION_UNSUPPORTED = (
    "Automatic rotation is not supported: rotate a key with CreateKeyVersion when you choose "
    "(older versions still decrypt); a key of an XKI instance rotates in its external key "
    "manager"
)


def refuse_for_external(key: Key) -> None:
    """Key versions are refused for an EXTERNAL key (Rejected.UnsupportedOperation)."""
    refuse_if_xki(key, XkiFeature.KEY_VERSIONS)


def _internal_key(deps: Deps, call: Call, p: Params) -> KeyPlace:
    """Where the KeyId's key lives, refusing an EXTERNAL key. Only a caller who may read the
    key (DescribeKey shows its Origin) learns that it is external; others find no key."""
    return refuse_on_xki_key(deps, call, p.text("KeyId", 255), XkiFeature.KEY_VERSIONS)


def _version(version: KeyVersion) -> dict[str, Any]:
    return {
        "KeyId": version.key_id,
        "KeyVersionId": version.id,
        "CreationDate": iso(version.time_created),
    }


def create_key_version(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    place = _internal_key(deps, call, p)
    request = key_versions.CreateKeyVersionRequest(vault_id=place.vault_id, key_id=place.key_id)
    return {"KeyVersion": _version(key_versions.create_key_version(deps, call, request))}


def list_key_versions(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    """A page of the key's versions, oldest first (PageNumber from 1, PageSize 1-100)."""
    place = _internal_key(deps, call, p)
    number = p.integer("PageNumber", 1, 1, 1_000_000)
    size = p.integer("PageSize", 10, 1, 100)
    found: list[KeyVersion] = []
    offset: int | None = 0
    while offset is not None:  # every version, for TotalCount (rarely more than one window)
        window = PageRequest(limit=MAX_LIMIT, offset=offset)
        request = key_versions.ListKeyVersionsRequest(
            vault_id=place.vault_id, key_id=place.key_id, page=window
        )
        page = key_versions.list_key_versions(deps, call, request)
        found.extend(page.items)
        offset = page.next_offset
    shown = found[(number - 1) * size : number * size]
    return {
        "KeyVersions": {"KeyVersion": [_version(v) for v in shown]},
        "TotalCount": len(found),
        "PageNumber": number,
        "PageSize": size,
    }


def describe_key_version(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    place = _internal_key(deps, call, p)
    request = key_versions.GetKeyVersionRequest(
        vault_id=place.vault_id,
        key_id=place.key_id,
        key_version_id=p.text("KeyVersionId", 255),
    )
    return {"KeyVersion": _version(key_versions.get_key_version(deps, call, request))}


def refuse_key_material_import(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    """GetParametersForImport, ImportKeyMaterial, DeleteKeyMaterial: refused, whatever the
    key (no key is looked at, so the refusal says nothing about one)."""
    raise UnsupportedOperation(IMPORT_UNSUPPORTED)


def update_rotation_policy(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    """Turning automatic rotation on is refused; turning it off changes nothing (it never is
    on), for a key the caller may read."""
    key_ref = p.text("KeyId", 255)
    if p.boolean("EnableAutomaticRotation"):
        raise UnsupportedOperation(ROTATION_UNSUPPORTED)
    place = place_of_key(deps, call, key_ref)
    keys.get_key(deps, call, keys.GetKeyRequest(vault_id=place.vault_id, key_id=place.key_id))
    return {}


_IMPORT = refuse_key_material_import
ACTIONS = [
    Action("CreateKeyVersion", create_key_version),
    Action("ListKeyVersions", list_key_versions, changes_state=False),
    Action("DescribeKeyVersion", describe_key_version, changes_state=False),
    Action("GetParametersForImport", _IMPORT, changes_state=False),
    Action("ImportKeyMaterial", _IMPORT, changes_state=False),
    Action("DeleteKeyMaterial", _IMPORT, changes_state=False),
    Action("UpdateRotationPolicy", update_rotation_policy),
]
