"""EkmClient endpoints: /20180608/ekmsPrivateEndpoints."""

from __future__ import annotations

from typing import Any

from strongroom.api.oci import parse
from strongroom.api.oci.endpoint import Api, OciRequest, Reply
from strongroom.api.oci.render import rfc3339
from strongroom.domain import tags
from strongroom.domain.ekms_private_endpoint import (
    EkmsPrivateEndpoint,
    require_ca_bundle_text,
    require_ip,
    require_port,
)
from strongroom.domain.ids import require_ocid
from strongroom.services.etags import etag_of
from strongroom.services.external import private_endpoints as endpoints

KIND = "ekmsprivateendpoint"


def summary(endpoint: EkmsPrivateEndpoint) -> dict[str, Any]:
    """EkmsPrivateEndpointSummary."""
    return {
        "id": endpoint.id,
        "compartmentId": endpoint.compartment_id,
        "subnetId": endpoint.subnet_id,
        "displayName": endpoint.display_name,
        "lifecycleState": endpoint.lifecycle_state.value,
        "timeCreated": rfc3339(endpoint.time_created),
        "timeUpdated": rfc3339(endpoint.time_updated),
        "freeformTags": endpoint.freeform_tags,
        "definedTags": endpoint.defined_tags,
    }


def _one(endpoint: EkmsPrivateEndpoint) -> Reply:
    body = {
        **summary(endpoint),
        "lifecycleDetails": None,
        "externalKeyManagerIp": endpoint.external_key_manager_ip,
        "port": endpoint.port,
        "caBundle": endpoint.ca_bundle_pem,
        # No network is attached: Strongroom itself dials the EKM's address.
        "privateEndpointIp": None,
    }
    return Reply(body, etag=etag_of(endpoint.id, endpoint.version))


def _endpoint_id(req: OciRequest) -> str:
    return require_ocid(req.path["ekmsPrivateEndpointId"], "ekmsPrivateEndpointId", KIND)


def create(api: Api, req: OciRequest) -> Reply:
    body = req.body
    new = endpoints.NewPrivateEndpoint(
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
    return _one(endpoints.create_private_endpoint(api.deps, req.call, new))


def get(api: Api, req: OciRequest) -> Reply:
    return _one(endpoints.get_private_endpoint(api.deps, req.call, _endpoint_id(req)))


def list_(api: Api, req: OciRequest) -> Reply:
    compartment = require_ocid(
        req.query.get("compartmentId"), "compartmentId", "tenancy", "compartment"
    )
    page = endpoints.list_private_endpoints(
        api.deps, req.call, compartment, parse.page_request(req.query)
    )
    return Reply.page([summary(e) for e in page.items], page.next_offset)


def update(api: Api, req: OciRequest) -> Reply:
    body = req.body
    changes = endpoints.PrivateEndpointChanges(**parse.name_and_tags(body))
    endpoint_id = _endpoint_id(req)
    updated = endpoints.update_private_endpoint(
        api.deps, req.call, endpoint_id, changes, req.if_match
    )
    return _one(updated)


def delete(api: Api, req: OciRequest) -> Reply:
    endpoints.delete_private_endpoint(api.deps, req.call, _endpoint_id(req), req.if_match)
    return Reply(None, 204)
