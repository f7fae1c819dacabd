"""Parsing EkmClient requests (EKMS private endpoints)."""

from __future__ import annotations

from strongroom.api.oci import parse
from strongroom.api.oci.endpoint import OciRequest
from strongroom.domain import tags
from strongroom.domain.ekms_private_endpoint import (
    require_ca_bundle_text,
    require_ip,
    require_port,
)
from strongroom.domain.ids import require_ocid
from strongroom.services.external.private_endpoints import CreateEkmsPrivateEndpointRequest

__all__ = [
    "create_private_endpoint_request",
    "endpoint_id",
]


def endpoint_id(req: OciRequest) -> str:
    """The ekmsPrivateEndpointId of a private endpoint's path."""
    return require_ocid(
        req.path["ekmsPrivateEndpointId"], "ekmsPrivateEndpointId", "ekmsprivateendpoint"
    )


def create_private_endpoint_request(body: parse.Body) -> CreateEkmsPrivateEndpointRequest:
    """CreateEkmsPrivateEndpointDetails, its fields checked in the order of the model."""
    return CreateEkmsPrivateEndpointRequest(
        compartment_id=require_ocid(
            body.get("compartmentId"), "compartmentId", "tenancy", "compartment"
        ),
        subnet_id=require_ocid(body.get("subnetId"), "subnetId", "subnet"),
        display_name=tags.display_name(body.get("displayName")),
        external_key_manager_ip=require_ip(
            body.get("externalKeyManagerIp"), "externalKeyManagerIp"
        ),
        port=require_port(body.get("port"), "port"),
        ca_bundle_pem=require_ca_bundle_text(body.get("caBundle"), "caBundle"),
        freeform_tags=tags.freeform_tags(body.get("freeformTags")),
        defined_tags=tags.defined_tags(body.get("definedTags")),
    )
