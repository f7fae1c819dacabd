"""Keys of XKI instances (external key instances) in the Alibaba API.

An XKI instance is an EXTERNAL vault: its keys hold no material, only the id of a key of the
instance's external key manager (the XKI proxy), which does every cryptographic operation.
CreateKey binds a key to one with the extension parameter ``ExternalKeyId`` (the core SDK's
``add_query_param``, the Tea SDK's generic ``call_api``); several keys may name the same
external key. As in Alibaba, such keys are symmetric only: ``Aliyun_AES_256`` for
``ENCRYPT/DECRYPT``.

What is checked where (each refusal its own code, see :mod:`.errors`): at CreateKey the
instance must be an XKI instance and the proxy must answer that the external key exists, is
enabled and is AES-256 (``services.external.keys``); at every cryptographic call the key must
be Enabled, the proxy reachable and the external key enabled (``services.external.crypto``).

What a key of an XKI instance cannot do (its material never enters Strongroom) is refused
with ``Rejected.UnsupportedOperation`` saying why, by one small check any action calls:
:func:`refuse_if_xki` on a key already loaded, or :func:`refuse_on_xki_key` on a ``KeyId``.
"""

from __future__ import annotations

from enum import StrEnum

from strongroom.api.alibaba.errors import (
    AlibabaError,
    InvalidParameter,
    UnsupportedOperation,
)
from strongroom.api.alibaba.params import Params
from strongroom.domain.ekm import EXTERNAL_KEY_ID_MAX, require_external_id
from strongroom.domain.errors import ExternalKeyPlacement
from strongroom.domain.key import Key
from strongroom.services.context import Call
from strongroom.services.kms import keys
from strongroom.services.kms.key_places import KeyPlace, place_of_key
from strongroom.services.kms.key_use import stored_key
from strongroom.services.ports import Deps

__all__ = [
    "XKI_SPEC",
    "XKI_USAGE",
    "XkiFeature",
    "external_key_id",
    "placement_refused",
    "refuse_if_xki",
    "refuse_on_xki_key",
    "why_unsupported",
]

XKI_SPEC = "Aliyun_AES_256"
XKI_USAGE = "ENCRYPT/DECRYPT"


class XkiFeature(StrEnum):
    """What a key of an XKI instance does not offer."""

    KEY_MATERIAL_IMPORT = "key material import"
    AUTOMATIC_ROTATION = "automatic rotation"
    KEY_VERSIONS = "key versions"
    BACKUP = "backup"


_WHY = {
    XkiFeature.KEY_MATERIAL_IMPORT: (
        "Key material cannot be imported into a key of an XKI instance: its material lives "
        "only in the external key manager, which never hands it to KMS"
    ),
    XkiFeature.AUTOMATIC_ROTATION: (
        "Automatic rotation is not supported for a key of an XKI instance: its material "
        "belongs to the external key manager; rotate the external key there"
    ),
    XkiFeature.KEY_VERSIONS: (
        "Key versions are not supported for a key of an XKI instance: its material lives in "
        "the external key manager, which keeps its versions; KMS holds none of them"
    ),
    XkiFeature.BACKUP: (
        "A key of an XKI instance cannot be backed up: its material never enters KMS; back "
        "it up in the external key manager"
    ),
}
_SYMMETRIC_ONLY = (
    f"Keys of an XKI instance are {XKI_SPEC} keys for {XKI_USAGE} only: the external key "
    "manager holds symmetric AES-256 keys and does their encryption"
)


def why_unsupported(feature: XkiFeature) -> str:
    """The message of ``feature``'s refusal on a key of an XKI instance."""
    return _WHY[feature]


def refuse_if_xki(key: Key, feature: XkiFeature) -> None:
    """Refuse ``feature`` (Rejected.UnsupportedOperation, saying why) when ``key`` belongs to
    an XKI instance. ``key`` must come from a use case that authorized the caller for it."""
    if key.is_external:
        raise UnsupportedOperation(_WHY[feature])


def refuse_on_xki_key(deps: Deps, call: Call, key_ref: str, feature: XkiFeature) -> KeyPlace:
    """Where the key ``key_ref`` names (id, alias or ARN) lives, after refusing ``feature``
    when it is a key of an XKI instance. Only a caller who may read the key (GetKey; DescribeKey
    shows that it is external) learns why; others find no key. A key of a KMS instance costs
    no more than :func:`place_of_key` (the cached row says it is not external)."""
    place = place_of_key(deps, call, key_ref)
    stored = stored_key(deps, place.key_id)
    if stored is not None and stored.is_external:
        request = keys.GetKeyRequest(vault_id=place.vault_id, key_id=place.key_id)
        refuse_if_xki(keys.get_key(deps, call, request), feature)
    return place


def external_key_id(p: Params, spec: str, usage: str) -> str | None:
    """CreateKey's ``ExternalKeyId`` (None when absent), refusing what a key bound to an
    external key cannot be: another spec or usage than AES-256 ENCRYPT/DECRYPT, imported
    material (``Origin=EXTERNAL``), automatic rotation."""
    raw = p.optional("ExternalKeyId", EXTERNAL_KEY_ID_MAX)
    if not raw:
        return None
    found = require_external_id(raw, "ExternalKeyId")  # it goes into the key manager's URLs
    if spec != XKI_SPEC or usage != XKI_USAGE:
        raise UnsupportedOperation(f"{_SYMMETRIC_ONLY}; KeySpec {spec} with {usage} is not")
    if (p.optional("Origin") or "Aliyun_KMS") != "Aliyun_KMS":
        raise UnsupportedOperation(_WHY[XkiFeature.KEY_MATERIAL_IMPORT])
    if p.boolean("EnableAutomaticRotation", False):
        raise UnsupportedOperation(_WHY[XkiFeature.AUTOMATIC_ROTATION])
    return found


def placement_refused(
    error: ExternalKeyPlacement, instance_id: str, spec: str, usage: str
) -> AlibabaError:
    """CreateKey's refusal, in this API's terms, of a key that does not fit its instance: an
    ``ExternalKeyId`` outside an XKI instance, or a key of an XKI instance without one."""
    if not error.external_vault:
        return InvalidParameter(
            "ExternalKeyId",
            f"{instance_id} is not an XKI instance; only keys of an XKI instance (external "
            "key instance) are bound to a key of an external key manager",
        )
    if spec != XKI_SPEC or usage != XKI_USAGE:
        return UnsupportedOperation(f"{_SYMMETRIC_ONLY}; KeySpec {spec} with {usage} is not")
    return AlibabaError(
        400,
        "MissingParameter",
        f"The parameter ExternalKeyId is required: {instance_id} is an XKI instance, whose "
        "keys are bound to a key of its external key manager",
    )
