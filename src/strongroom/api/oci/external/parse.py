"""Parsing the EXTERNAL vault and key fields of the OCI KMS models, and EkmClient requests."""

from __future__ import annotations

from strongroom.api.oci import parse
from strongroom.api.oci.endpoint import OciRequest
from strongroom.domain import tags
from strongroom.domain.ekm import (
    MAX_CLIENT_ID,
    MAX_CLIENT_SECRET,
    require_endpoint_url,
    require_external_id,
    require_text,
)
from strongroom.domain.ekms_private_endpoint import (
    require_ca_bundle_text,
    require_ip,
    require_port,
)
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.ids import require_ocid
from strongroom.services.external.private_endpoints import CreateEkmsPrivateEndpointRequest
from strongroom.services.kms.vaults import ExternalKeyManagerMetadata

__all__ = [
    "create_private_endpoint_request",
    "endpoint_id",
    "external_key_id",
    "external_key_manager",
    "external_version_id",
]

EKM = "externalKeyManagerMetadata"


def external_key_manager(body: parse.Body) -> ExternalKeyManagerMetadata | None:
    """CreateVaultDetails.externalKeyManagerMetadata (ExternalKeyManagerMetadata), if given."""
    raw = parse.obj(body, EKM, required=False)
    if raw is None:
        return None
    oauth = parse.obj(raw, "oauthMetadata", required=False)
    if oauth is None:
        raise InvalidParameter(f"{EKM}.oauthMetadata is required")
    private_endpoint = raw.get("privateEndpointId")
    idp = oauth.get("idcsAccountNameUrl")
    return ExternalKeyManagerMetadata(
        endpoint_url=require_endpoint_url(
            raw.get("externalVaultEndpointUrl"), f"{EKM}.externalVaultEndpointUrl"
        ),
        idp_url=None
        if idp is None
        else require_endpoint_url(idp, f"{EKM}.oauthMetadata.idcsAccountNameUrl"),
        client_app_id=require_text(
            oauth.get("clientAppId"), f"{EKM}.oauthMetadata.clientAppId", MAX_CLIENT_ID
        ),
        client_secret=require_text(
            oauth.get("clientAppSecret"), f"{EKM}.oauthMetadata.clientAppSecret", MAX_CLIENT_SECRET
        ),
        private_endpoint_id=None
        if private_endpoint is None
        else require_ocid(private_endpoint, f"{EKM}.privateEndpointId"),
    )


def external_key_id(body: parse.Body) -> str | None:
    """CreateKeyDetails.externalKeyReference.externalKeyId, if given."""
    raw = parse.obj(body, "externalKeyReference", required=False)
    if raw is None:
        return None
    return require_external_id(raw.get("externalKeyId"), "externalKeyReference.externalKeyId")


def external_version_id(body: parse.Body) -> str | None:
    """CreateKeyVersion's optional ExternalKeyVersionReference.externalKeyVersionId."""
    value = body.get("externalKeyVersionId")
    if value is None:
        return None
    return require_external_id(value, "externalKeyVersionId")


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
