"""KmsManagementClient endpoints: /kms/{vault}/management/20180608/keys..."""

from __future__ import annotations

from typing import Any

from strongroom.api.oci import parse, render
from strongroom.api.oci.endpoint import Api, OciRequest, Reply
from strongroom.api.oci.external import parse as ekm_parse
from strongroom.domain import tags
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.ids import require_ocid
from strongroom.domain.key import (
    Algorithm,
    Curve,
    Key,
    KeyShape,
    KeyVersion,
    ProtectionMode,
    make_shape,
)
from strongroom.services.kms import key_versions, keys, moves


def _ids(req: OciRequest) -> tuple[str, str]:
    return req.path["vaultId"], require_ocid(req.path["keyId"], "keyId", "key")


def _one(key: Key) -> Reply:
    return Reply(render.key(key), etag=render.key_etag(key))


def _version(kv: KeyVersion) -> Reply:
    return Reply(render.key_version(kv), etag=render.key_version_etag(kv))


def shape_from(body: parse.Body, name: str = "keyShape") -> KeyShape:
    """Parse a keyShape object."""
    raw = parse.obj(body, name)
    assert raw is not None
    curve = raw.get("curveId")
    if curve is not None and not isinstance(curve, str):
        raise InvalidParameter(f"{name}.curveId must be a string")
    algorithm = raw.get("algorithm")
    if not isinstance(algorithm, str):
        raise InvalidParameter(f"{name}.algorithm must be one of AES, RSA, ECDSA")
    return make_shape(algorithm, raw.get("length"), curve)


def create(api: Api, req: OciRequest) -> Reply:
    body = req.body
    # OCI defaults to HSM; without an HSM back end the default is SOFTWARE, and HSM asked for
    # explicitly is refused with a clear error. A key referencing an external key is EXTERNAL.
    external_key_id = ekm_parse.external_key_id(body)
    has_hsm = ProtectionMode.HSM in api.deps.providers
    default = "EXTERNAL" if external_key_id else ("HSM" if has_hsm else "SOFTWARE")
    mode = body.get("protectionMode") or default
    new = keys.NewKey(
        compartment_id=require_ocid(
            body.get("compartmentId"), "compartmentId", "tenancy", "compartment"
        ),
        display_name=tags.display_name(body.get("displayName")),
        shape=shape_from(body),
        protection_mode=parse.enum(ProtectionMode, mode, "protectionMode"),
        freeform_tags=tags.freeform_tags(body.get("freeformTags")),
        defined_tags=tags.defined_tags(body.get("definedTags")),
        external_key_id=external_key_id,
    )
    key, _ = keys.create_key(api.deps, req.call, req.path["vaultId"], new)
    return _one(key)


def get(api: Api, req: OciRequest) -> Reply:
    return _one(keys.get_key(api.deps, req.call, *_ids(req)))


def list_(api: Api, req: OciRequest) -> Reply:
    q = req.query
    compartment = require_ocid(q.get("compartmentId"), "compartmentId", "tenancy", "compartment")
    filters: dict[str, Any] = {}
    if "protectionMode" in q:
        filters["protection_mode"] = parse.enum(
            ProtectionMode, q["protectionMode"], "protectionMode"
        ).value
    if "algorithm" in q:
        filters["algorithm"] = parse.enum(Algorithm, q["algorithm"], "algorithm").value
    if "curveId" in q:
        filters["curve_id"] = parse.enum(Curve, q["curveId"], "curveId").value
    if "length" in q:
        if not q["length"].isdigit():
            raise InvalidParameter("length must be an integer")
        filters["length"] = int(q["length"])
    page = keys.list_keys(
        api.deps, req.call, req.path["vaultId"], compartment, parse.page_request(q), filters
    )
    return Reply.page([render.key_summary(k) for k in page.items], page.next_offset)


def update(api: Api, req: OciRequest) -> Reply:
    body = req.body
    if body.get("isAutoRotationEnabled"):
        raise InvalidParameter("Automatic key rotation is not supported yet")
    changes = keys.KeyChanges(**parse.name_and_tags(body))
    return _one(keys.update_key(api.deps, req.call, *_ids(req), changes, req.if_match))


def enable(api: Api, req: OciRequest) -> Reply:
    return _one(keys.set_key_enabled(api.deps, req.call, *_ids(req), True, req.if_match))


def disable(api: Api, req: OciRequest) -> Reply:
    return _one(keys.set_key_enabled(api.deps, req.call, *_ids(req), False, req.if_match))


def schedule_deletion(api: Api, req: OciRequest) -> Reply:
    when = parse.timestamp(req.body, "timeOfDeletion")
    return _one(keys.schedule_key_deletion(api.deps, req.call, *_ids(req), when, req.if_match))


def cancel_deletion(api: Api, req: OciRequest) -> Reply:
    return _one(keys.cancel_key_deletion(api.deps, req.call, *_ids(req), req.if_match))


def create_version(api: Api, req: OciRequest) -> Reply:
    external_version_id = ekm_parse.external_version_id(req.body)
    return _version(key_versions.rotate_key(api.deps, req.call, *_ids(req), external_version_id))


def _version_id(req: OciRequest) -> str:
    return require_ocid(req.path["keyVersionId"], "keyVersionId", "keyversion")


def get_version(api: Api, req: OciRequest) -> Reply:
    _, kv = key_versions.get_key_version(api.deps, req.call, *_ids(req), _version_id(req))
    return _version(kv)


def list_versions(api: Api, req: OciRequest) -> Reply:
    page = key_versions.list_key_versions(
        api.deps, req.call, *_ids(req), parse.page_request(req.query)
    )
    return Reply.page([render.key_version_summary(v) for v in page.items], page.next_offset)


def schedule_version_deletion(api: Api, req: OciRequest) -> Reply:
    when = parse.timestamp(req.body, "timeOfDeletion")
    kv = key_versions.schedule_version_deletion(
        api.deps, req.call, *_ids(req), _version_id(req), when, req.if_match
    )
    return _version(kv)


def cancel_version_deletion(api: Api, req: OciRequest) -> Reply:
    kv = key_versions.cancel_version_deletion(
        api.deps, req.call, *_ids(req), _version_id(req), req.if_match
    )
    return _version(kv)


def change_compartment(api: Api, req: OciRequest) -> Reply:
    target = require_ocid(req.body.get("compartmentId"), "compartmentId", "tenancy", "compartment")
    return _one(moves.change_key_compartment(api.deps, req.call, *_ids(req), target, req.if_match))
