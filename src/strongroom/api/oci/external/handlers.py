"""EkmClient handlers (/20180608/ekmsPrivateEndpoints), one per operation.

Each parses its request into the use case's request (:mod:`.parse`), calls the use case and
renders the result (:mod:`.render`).
"""

from __future__ import annotations

from strongroom.api.oci import parse
from strongroom.api.oci.endpoint import Api, OciRequest, Reply
from strongroom.api.oci.external import parse as ep
from strongroom.api.oci.external import render
from strongroom.domain.ekms_private_endpoint import EkmsPrivateEndpoint
from strongroom.domain.ids import require_ocid
from strongroom.services.external import private_endpoints as endpoints

__all__ = [
    "create_ekms_private_endpoint",
    "delete_ekms_private_endpoint",
    "get_ekms_private_endpoint",
    "list_ekms_private_endpoints",
    "update_ekms_private_endpoint",
]


def _one(endpoint: EkmsPrivateEndpoint) -> Reply:
    return Reply(render.private_endpoint(endpoint), etag=render.private_endpoint_etag(endpoint))


def create_ekms_private_endpoint(api: Api, req: OciRequest) -> Reply:
    request = ep.create_private_endpoint_request(req.body)
    return _one(endpoints.create_private_endpoint(api.deps, req.call, request))


def get_ekms_private_endpoint(api: Api, req: OciRequest) -> Reply:
    request = endpoints.GetEkmsPrivateEndpointRequest(private_endpoint_id=ep.endpoint_id(req))
    return _one(endpoints.get_private_endpoint(api.deps, req.call, request))


def list_ekms_private_endpoints(api: Api, req: OciRequest) -> Reply:
    request = endpoints.ListEkmsPrivateEndpointsRequest(
        compartment_id=require_ocid(
            req.query.get("compartmentId"), "compartmentId", "tenancy", "compartment"
        ),
        page=parse.page_request(req.query),
    )
    page = endpoints.list_private_endpoints(api.deps, req.call, request)
    return Reply.page([render.private_endpoint_summary(e) for e in page.items], page.next_offset)


def update_ekms_private_endpoint(api: Api, req: OciRequest) -> Reply:
    changes = parse.name_and_tags(req.body)
    request = endpoints.UpdateEkmsPrivateEndpointRequest(
        private_endpoint_id=ep.endpoint_id(req), **changes, if_match=req.if_match
    )
    return _one(endpoints.update_private_endpoint(api.deps, req.call, request))


def delete_ekms_private_endpoint(api: Api, req: OciRequest) -> Reply:
    request = endpoints.DeleteEkmsPrivateEndpointRequest(
        private_endpoint_id=ep.endpoint_id(req), if_match=req.if_match
    )
    endpoints.delete_private_endpoint(api.deps, req.call, request)
    return Reply(None, 204)
