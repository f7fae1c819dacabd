"""Routes of the EkmClient API (served on the KMS management endpoint, like vaults)."""

from __future__ import annotations

from strongroom.api.oci.endpoint import ApiRoute
from strongroom.api.oci.external import private_endpoints as h

ENDPOINTS = "/20180608/ekmsPrivateEndpoints"
ONE = f"{ENDPOINTS}/{{ekmsPrivateEndpointId}}"

ROUTES: list[ApiRoute] = [
    ApiRoute("CreateEkmsPrivateEndpoint", "POST", ENDPOINTS, h.create, True),
    ApiRoute("ListEkmsPrivateEndpoints", "GET", ENDPOINTS, h.list_),
    ApiRoute("GetEkmsPrivateEndpoint", "GET", ONE, h.get),
    ApiRoute("UpdateEkmsPrivateEndpoint", "PUT", ONE, h.update),
    ApiRoute("DeleteEkmsPrivateEndpoint", "DELETE", ONE, h.delete),
]
