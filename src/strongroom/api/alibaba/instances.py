"""KMS instance actions: GetKmsInstance, ListKmsInstances. A KMS instance is a vault; an XKI
instance (external key instance) is an EXTERNAL vault, whose proxy is "connected" when its
key manager's latest health check found it ACTIVE: this process's, else the one stored by
whichever process checked last (the background checks run in one process of several), checked
again first when older than the polling interval, as OCI's GetVault does."""

from __future__ import annotations

from typing import Any

from strongroom.api.alibaba.action import Action
from strongroom.api.alibaba.params import Params
from strongroom.api.alibaba.render import instance
from strongroom.domain.ekm import EkmHealth, EkmHealthState
from strongroom.services.context import Call
from strongroom.services.kms import vault_views, vaults
from strongroom.services.kms.key_places import list_tenancy_vaults
from strongroom.services.ports import Deps

__all__ = [
    "ACTIONS",
    "get_kms_instance",
    "list_kms_instances",
]


def _connected(health: EkmHealth | None) -> bool:
    return health is not None and health.state is EkmHealthState.ACTIVE


def get_kms_instance(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    request = vaults.GetVaultRequest(vault_id=p.text("KmsInstanceId", 255))
    view = vault_views.get_vault(deps, call, request)
    return {"KmsInstance": instance(view.vault, deps.region, _connected(view.health))}


def list_kms_instances(deps: Deps, call: Call, p: Params) -> dict[str, Any]:
    number = p.integer("PageNumber", 1, 1, 1_000_000)
    size = p.integer("PageSize", 10, 1, 100)
    found = list_tenancy_vaults(deps, call)
    page = found[(number - 1) * size : number * size]
    return {
        "KmsInstances": {
            "KmsInstance": [
                {
                    "KmsInstanceId": v.id,
                    "KmsInstanceArn": instance(v, deps.region, None)["KmsInstanceArn"],
                }
                for v in page
            ]
        },
        "TotalCount": len(found),
        "PageNumber": number,
        "PageSize": size,
    }


ACTIONS = [
    Action(
        "GetKmsInstance",
        get_kms_instance,
        changes_state=False,
        not_found="Forbidden.ResourceNotFound",
    ),
    Action("ListKmsInstances", list_kms_instances, changes_state=False),
]
