"""SecretsClient endpoints (secret retrieval): /20190301/secretbundles..."""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.api.oci import parse
from strongroom.api.oci.endpoint import Api, OciRequest, Reply
from strongroom.api.oci.secrets import parse as sp
from strongroom.api.oci.secrets import render as sr
from strongroom.domain.ids import require_ocid
from strongroom.domain.secret import Stage, secret_name
from strongroom.services.secrets import bundles
from strongroom.services.secrets.bundles import Bundle
from strongroom.services.secrets.lookup import VersionRef

_CURRENT = VersionRef()


def _ref(query: Mapping[str, str]) -> VersionRef:
    """versionNumber, secretVersionName or stage (at most one; CURRENT when none)."""
    if not query:
        return _CURRENT
    number = query.get("versionNumber")
    name = query.get("secretVersionName")
    stage = query.get("stage")
    return VersionRef(
        number=None if number is None else sp.version_number(number, "versionNumber"),
        name=None if name is None else secret_name(name, "secretVersionName"),
        stage=None if stage is None else parse.enum(Stage, stage, "stage"),
    )


def _one(bundle: Bundle) -> Reply:
    return Reply(sr.bundle(bundle), etag=sr.version_etag(bundle.version))


def get(api: Api, req: OciRequest) -> Reply:
    secret_id = require_ocid(req.path["secretId"], "secretId", "vaultsecret")
    return _one(bundles.get_secret_bundle(api.deps, req.call, secret_id, _ref(req.query)))


def get_by_name(api: Api, req: OciRequest) -> Reply:
    q = req.query
    name = secret_name(q.get("secretName"))
    vault_id = require_ocid(q.get("vaultId"), "vaultId", "vault")
    bundle = bundles.get_secret_bundle_by_name(api.deps, req.call, vault_id, name, _ref(q))
    return _one(bundle)


def list_versions(api: Api, req: OciRequest) -> Reply:
    secret_id = require_ocid(req.path["secretId"], "secretId", "vaultsecret")
    page = parse.page_request(req.query, "VERSION_NUMBER", sorts=("VERSION_NUMBER",))
    secret, found = bundles.list_secret_bundle_versions(api.deps, req.call, secret_id, page)
    shown = [sr.bundle_version_summary(v, secret) for v in found.items]
    return Reply.page(shown, found.next_offset)
