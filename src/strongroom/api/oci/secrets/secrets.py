"""VaultsClient endpoints (secret management): /20180608/secrets..."""

from __future__ import annotations

from strongroom.api.oci import parse
from strongroom.api.oci.endpoint import Api, OciRequest, Reply
from strongroom.api.oci.secrets import parse as sp
from strongroom.api.oci.secrets import render as sr
from strongroom.domain import tags
from strongroom.domain.ids import require_ocid
from strongroom.domain.secret import Secret, SecretRules, SecretVersion, secret_name
from strongroom.services.secrets import deletion, moves, secrets, updates, versions
from strongroom.services.secrets import rotation as secret_rotation


def _secret_id(req: OciRequest) -> str:
    return require_ocid(req.path["secretId"], "secretId", "vaultsecret")


def _number(req: OciRequest) -> int:
    return sp.version_number(req.path["secretVersionNumber"])


def _one(secret: Secret) -> Reply:
    return Reply(sr.secret(secret), etag=sr.secret_etag(secret))


def _version(secret: Secret, version: SecretVersion) -> Reply:
    return Reply(sr.version(version, secret), etag=sr.version_etag(version))


def _compartment(value: object) -> str:
    return require_ocid(value, "compartmentId", "tenancy", "compartment")


def create(api: Api, req: OciRequest) -> Reply:
    body = req.body
    sp.no_replication(body)
    content, version_name, stage = sp.content(body)
    new = secrets.NewSecret(
        compartment_id=_compartment(body.get("compartmentId")),
        vault_id=require_ocid(body.get("vaultId"), "vaultId", "vault"),
        key_id=require_ocid(body.get("keyId"), "keyId", "key"),
        name=secret_name(body.get("secretName")),
        content=content,
        version_name=version_name,
        stage=stage,
        description=sp.description(body) or "",
        metadata=sp.metadata(body) or {},
        freeform_tags=tags.freeform_tags(body.get("freeformTags")),
        defined_tags=tags.defined_tags(body.get("definedTags")),
        rules=sp.rules(body) or SecretRules(),
        generation=sp.generation(body),
        auto_generation=parse.boolean(body, "enableAutoGeneration"),
        rotation=sp.rotation(body),
    )
    return _one(secrets.create_secret(api.deps, req.call, new))


def get(api: Api, req: OciRequest) -> Reply:
    return _one(secrets.get_secret(api.deps, req.call, _secret_id(req)))


def list_(api: Api, req: OciRequest) -> Reply:
    q = req.query
    page = parse.page_request(q, sorts=("TIMECREATED", "NAME"))
    filters = sp.list_filters(q)
    if "vault_id" in filters:
        require_ocid(filters["vault_id"], "vaultId", "vault")
    found = secrets.list_secrets(
        api.deps, req.call, _compartment(q.get("compartmentId")), page, filters
    )
    return Reply.page([sr.secret_summary(s) for s in found.items], found.next_offset)


def update(api: Api, req: OciRequest) -> Reply:
    body = req.body
    sp.no_replication(body)
    current = body.get("currentVersionNumber")
    changes = updates.SecretChanges(
        description=sp.description(body),
        metadata=sp.metadata(body),
        freeform_tags=tags.freeform_tags(body["freeformTags"]) if "freeformTags" in body else None,
        defined_tags=tags.defined_tags(body["definedTags"]) if "definedTags" in body else None,
        content=sp.new_content(body),
        current_version=None
        if current is None
        else sp.version_number(current, "currentVersionNumber"),
        rules=sp.rules(body),
        rotation=sp.rotation(body),
        generation=sp.generation(body),
        auto_generation=parse.boolean(body, "enableAutoGeneration")
        if body.get("enableAutoGeneration") is not None
        else None,
    )
    secret = updates.update_secret(api.deps, req.call, _secret_id(req), changes, req.if_match)
    return _one(secret)


def schedule_deletion(api: Api, req: OciRequest) -> Reply:
    when = parse.timestamp(req.body, "timeOfDeletion")
    deletion.schedule_secret_deletion(api.deps, req.call, _secret_id(req), when, req.if_match)
    return Reply()


def cancel_deletion(api: Api, req: OciRequest) -> Reply:
    deletion.cancel_secret_deletion(api.deps, req.call, _secret_id(req), req.if_match)
    return Reply()


def rotate(api: Api, req: OciRequest) -> Reply:
    secret_rotation.rotate_secret(api.deps, req.call, _secret_id(req), req.if_match)
    return Reply()


def cancel_rotation(api: Api, req: OciRequest) -> Reply:
    secret_rotation.cancel_secret_rotation(api.deps, req.call, _secret_id(req), req.if_match)
    return Reply()


def change_compartment(api: Api, req: OciRequest) -> Reply:
    target = _compartment(req.body.get("compartmentId"))
    moves.change_secret_compartment(api.deps, req.call, _secret_id(req), target, req.if_match)
    return Reply()


def list_versions(api: Api, req: OciRequest) -> Reply:
    page = parse.page_request(req.query, "VERSION_NUMBER", sorts=("VERSION_NUMBER",))
    secret, found = versions.list_secret_versions(api.deps, req.call, _secret_id(req), page)
    shown = [sr.version_summary(v, secret) for v in found.items]
    return Reply.page(shown, found.next_offset)


def get_version(api: Api, req: OciRequest) -> Reply:
    secret, version = versions.get_secret_version(api.deps, req.call, _secret_id(req), _number(req))
    return _version(secret, version)


def schedule_version_deletion(api: Api, req: OciRequest) -> Reply:
    when = parse.timestamp(req.body, "timeOfDeletion")
    deletion.schedule_version_deletion(
        api.deps, req.call, _secret_id(req), _number(req), when, req.if_match
    )
    return Reply()


def cancel_version_deletion(api: Api, req: OciRequest) -> Reply:
    deletion.cancel_version_deletion(
        api.deps, req.call, _secret_id(req), _number(req), req.if_match
    )
    return Reply()
