"""Handlers of the VaultsClient secret management API (/20180608/secrets) and of the
SecretsClient retrieval API (/20190301/secretbundles).

One function per API operation: parse the request into the use case's ``XxxRequest``, call
the use case, render. Parameters are read in the order the API has always checked them.
The bundle reads (GetSecretBundle, GetSecretBundleByName) may run on the event loop: they
only parse before the use case, which raises any WouldBlock before it has any effect.
"""

from __future__ import annotations

from strongroom.api.oci import parse
from strongroom.api.oci.endpoint import Api, OciRequest, Reply
from strongroom.api.oci.secrets import parse as sp
from strongroom.api.oci.secrets import render as sr
from strongroom.domain import tags
from strongroom.domain.ids import require_ocid
from strongroom.domain.secret import Secret, SecretRules, secret_name
from strongroom.services.secrets import bundles, deletion, moves, rotation, secrets, updates
from strongroom.services.secrets import versions as sv
from strongroom.services.secrets.bundles import Bundle

__all__ = [
    "cancel_secret_deletion",
    "cancel_secret_rotation",
    "cancel_secret_version_deletion",
    "change_secret_compartment",
    "create_secret",
    "get_secret",
    "get_secret_bundle",
    "get_secret_bundle_by_name",
    "get_secret_version",
    "list_secret_bundle_versions",
    "list_secret_versions",
    "list_secrets",
    "rotate_secret",
    "schedule_secret_deletion",
    "schedule_secret_version_deletion",
    "update_secret",
]

_VERSION_SORTS = ("VERSION_NUMBER",)


def _one(secret: Secret) -> Reply:
    return Reply(sr.secret(secret), etag=sr.secret_etag(secret))


def _version(found: sv.SecretVersionResult) -> Reply:
    return Reply(sr.version(found.version, found.secret), etag=sr.version_etag(found.version))


def _bundle(bundle: Bundle) -> Reply:
    return Reply(sr.bundle(bundle), etag=sr.version_etag(bundle.version))


def _secret_id(req: OciRequest) -> str:
    return sp.secret_id(req.path["secretId"])


def _number(req: OciRequest) -> int:
    return sp.version_number(req.path["secretVersionNumber"])


# --- SecretsClient: secret bundles (retrieval) ---------------------------------------------


def get_secret_bundle(api: Api, req: OciRequest) -> Reply:
    # Hot path: the secret id is checked inline (no helper call per request).
    secret_id = require_ocid(req.path["secretId"], "secretId", "vaultsecret")
    request = bundles.GetSecretBundleRequest(secret_id, sp.version_ref(req.query))
    return _bundle(bundles.get_secret_bundle(api.deps, req.call, request))


def get_secret_bundle_by_name(api: Api, req: OciRequest) -> Reply:
    q = req.query
    name = secret_name(q.get("secretName"))
    vault_id = require_ocid(q.get("vaultId"), "vaultId", "vault")
    request = bundles.GetSecretBundleByNameRequest(vault_id, name, sp.version_ref(q))
    return _bundle(bundles.get_secret_bundle_by_name(api.deps, req.call, request))


def list_secret_bundle_versions(api: Api, req: OciRequest) -> Reply:
    secret_id = _secret_id(req)
    page = parse.page_request(req.query, "VERSION_NUMBER", sorts=_VERSION_SORTS)
    request = bundles.ListSecretBundleVersionsRequest(secret_id, page)
    found = bundles.list_secret_bundle_versions(api.deps, req.call, request)
    shown = [sr.bundle_version_summary(v, found.secret) for v in found.page.items]
    return Reply.page(shown, found.page.next_offset)


# --- VaultsClient: secrets ---------------------------------------------------------------


def create_secret(api: Api, req: OciRequest) -> Reply:
    body = req.body
    content, version_name, stage = sp.content(body)
    request = secrets.CreateSecretRequest(
        compartment_id=sp.compartment_id(body.get("compartmentId")),
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
        replication=sp.replication(body),
    )
    return _one(secrets.create_secret(api.deps, req.call, request))


def get_secret(api: Api, req: OciRequest) -> Reply:
    request = secrets.GetSecretRequest(_secret_id(req))
    return _one(secrets.get_secret(api.deps, req.call, request))


def list_secrets(api: Api, req: OciRequest) -> Reply:
    q = req.query
    page = parse.page_request(q, sorts=("TIMECREATED", "NAME"))
    filters = sp.list_filters(q)
    if "vault_id" in filters:
        require_ocid(filters["vault_id"], "vaultId", "vault")
    request = secrets.ListSecretsRequest(sp.compartment_id(q.get("compartmentId")), filters, page)
    found = secrets.list_secrets(api.deps, req.call, request)
    return Reply.page([sr.secret_summary(s) for s in found.items], found.next_offset)


def update_secret(api: Api, req: OciRequest) -> Reply:
    body = req.body
    changes = updates.SecretChanges(
        description=sp.description(body),
        metadata=sp.metadata(body),
        freeform_tags=tags.freeform_tags(body["freeformTags"]) if "freeformTags" in body else None,
        defined_tags=tags.defined_tags(body["definedTags"]) if "definedTags" in body else None,
        content=sp.new_content(body),
        current_version=sp.current_version(body),
        rules=sp.rules(body),
        rotation=sp.rotation(body),
        generation=sp.generation(body),
        auto_generation=parse.boolean(body, "enableAutoGeneration")
        if body.get("enableAutoGeneration") is not None
        else None,
        replication=sp.replication(body),
    )
    request = updates.UpdateSecretRequest(_secret_id(req), changes, req.if_match)
    return _one(updates.update_secret(api.deps, req.call, request))


def schedule_secret_deletion(api: Api, req: OciRequest) -> Reply:
    when = parse.timestamp(req.body, "timeOfDeletion")
    request = deletion.ScheduleSecretDeletionRequest(_secret_id(req), when, req.if_match)
    deletion.schedule_secret_deletion(api.deps, req.call, request)
    return Reply()


def cancel_secret_deletion(api: Api, req: OciRequest) -> Reply:
    request = deletion.CancelSecretDeletionRequest(_secret_id(req), req.if_match)
    deletion.cancel_secret_deletion(api.deps, req.call, request)
    return Reply()


def rotate_secret(api: Api, req: OciRequest) -> Reply:
    request = rotation.RotateSecretRequest(_secret_id(req), req.if_match)
    rotation.rotate_secret(api.deps, req.call, request)
    return Reply()


def cancel_secret_rotation(api: Api, req: OciRequest) -> Reply:
    request = rotation.CancelSecretRotationRequest(_secret_id(req), req.if_match)
    rotation.cancel_secret_rotation(api.deps, req.call, request)
    return Reply()


def change_secret_compartment(api: Api, req: OciRequest) -> Reply:
    target = sp.compartment_id(req.body.get("compartmentId"))
    request = moves.ChangeSecretCompartmentRequest(_secret_id(req), target, req.if_match)
    moves.change_secret_compartment(api.deps, req.call, request)
    return Reply()


# --- VaultsClient: secret versions -------------------------------------------------------


def list_secret_versions(api: Api, req: OciRequest) -> Reply:
    page = parse.page_request(req.query, "VERSION_NUMBER", sorts=_VERSION_SORTS)
    request = sv.ListSecretVersionsRequest(_secret_id(req), page)
    found = sv.list_secret_versions(api.deps, req.call, request)
    shown = [sr.version_summary(v, found.secret) for v in found.page.items]
    return Reply.page(shown, found.page.next_offset)


def get_secret_version(api: Api, req: OciRequest) -> Reply:
    request = sv.GetSecretVersionRequest(_secret_id(req), _number(req))
    return _version(sv.get_secret_version(api.deps, req.call, request))


def schedule_secret_version_deletion(api: Api, req: OciRequest) -> Reply:
    when = parse.timestamp(req.body, "timeOfDeletion")
    request = deletion.ScheduleSecretVersionDeletionRequest(
        _secret_id(req), _number(req), when, req.if_match
    )
    deletion.schedule_secret_version_deletion(api.deps, req.call, request)
    return Reply()


def cancel_secret_version_deletion(api: Api, req: OciRequest) -> Reply:
    request = deletion.CancelSecretVersionDeletionRequest(
        _secret_id(req), _number(req), req.if_match
    )
    deletion.cancel_secret_version_deletion(api.deps, req.call, request)
    return Reply()
