"""KmsVaultClient endpoints: /20180608/vaults."""

from __future__ import annotations

from strongroom.api.oci import parse, render
from strongroom.api.oci.endpoint import Api, OciRequest, Reply
from strongroom.api.oci.external import parse as ekm_parse
from strongroom.domain import tags
from strongroom.domain.ids import require_ocid
from strongroom.domain.paging import Page
from strongroom.domain.vault import Vault, VaultType
from strongroom.services.kms import moves, vault_views, vaults
from strongroom.services.kms.vaults import VaultView


def _one(api: Api, vault: Vault, status: int = 200) -> Reply:
    return _view(api, vault_views.with_health(api.deps, vault), status)


def _view(api: Api, view: VaultView, status: int = 200) -> Reply:
    vault = view.vault
    body = {
        **render.vault(vault, api.deps.public_url),
        **render.vault_ekm_fields(vault, view.health),
    }
    return Reply(body, status, etag=render.vault_etag(vault))


def _vault_id(req: OciRequest) -> str:
    return require_ocid(req.path["vaultId"], "vaultId", "vault")


def create(api: Api, req: OciRequest) -> Reply:
    body = req.body
    new = vaults.NewVault(
        compartment_id=require_ocid(
            body.get("compartmentId"), "compartmentId", "tenancy", "compartment"
        ),
        display_name=tags.display_name(body.get("displayName")),
        vault_type=parse.enum(VaultType, body.get("vaultType"), "vaultType"),
        freeform_tags=tags.freeform_tags(body.get("freeformTags")),
        defined_tags=tags.defined_tags(body.get("definedTags")),
        external=ekm_parse.external_key_manager(body),
    )
    return _view(api, vault_views.create_vault(api.deps, req.call, new))


def get(api: Api, req: OciRequest) -> Reply:
    return _view(api, vault_views.get_vault(api.deps, req.call, _vault_id(req)))


def list_(api: Api, req: OciRequest) -> Reply:
    compartment = require_ocid(
        req.query.get("compartmentId"), "compartmentId", "tenancy", "compartment"
    )
    page: Page[VaultView] = vault_views.list_vaults(
        api.deps, req.call, compartment, parse.page_request(req.query)
    )
    items = [
        {
            **render.vault_summary(v.vault, api.deps.public_url),
            **render.vault_ekm_fields(v.vault, v.health),
        }
        for v in page.items
    ]
    return Reply.page(items, page.next_offset)


def update(api: Api, req: OciRequest) -> Reply:
    body = req.body
    changes = vaults.VaultChanges(**parse.name_and_tags(body))
    return _one(api, vaults.update_vault(api.deps, req.call, _vault_id(req), changes, req.if_match))


def schedule_deletion(api: Api, req: OciRequest) -> Reply:
    when = parse.timestamp(req.body, "timeOfDeletion")
    vault = vaults.schedule_vault_deletion(api.deps, req.call, _vault_id(req), when, req.if_match)
    return _one(api, vault)


def cancel_deletion(api: Api, req: OciRequest) -> Reply:
    vault = vaults.cancel_vault_deletion(api.deps, req.call, _vault_id(req), req.if_match)
    return _one(api, vault)


def change_compartment(api: Api, req: OciRequest) -> Reply:
    target = require_ocid(req.body.get("compartmentId"), "compartmentId", "tenancy", "compartment")
    vault = moves.change_vault_compartment(api.deps, req.call, _vault_id(req), target, req.if_match)
    return _one(api, vault)
