"""Routes of the EkmClient API (served on the KMS management endpoint, like vaults)."""

from __future__ import annotations

from strongroom.api.oci.endpoint import ApiRoute
from strongroom.api.oci.external import handlers as h

__all__ = ["ENDPOINTS", "ONE", "ROUTES"]

ENDPOINTS = "/20180608/ekmsPrivateEndpoints"
ONE = f"{ENDPOINTS}/{{ekmsPrivateEndpointId}}"

ROUTES: list[ApiRoute] = [
    ApiRoute("CreateEkmsPrivateEndpoint", "POST", ENDPOINTS, h.create_ekms_private_endpoint, True),
    ApiRoute("ListEkmsPrivateEndpoints", "GET", ENDPOINTS, h.list_ekms_private_endpoints),
    ApiRoute("GetEkmsPrivateEndpoint", "GET", ONE, h.get_ekms_private_endpoint),
    ApiRoute("UpdateEkmsPrivateEndpoint", "PUT", ONE, h.update_ekms_private_endpoint),
    ApiRoute("DeleteEkmsPrivateEndpoint", "DELETE", ONE, h.delete_ekms_private_endpoint),
]
