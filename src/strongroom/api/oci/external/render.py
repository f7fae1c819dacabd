"""EKMS private endpoints to OCI JSON shapes (the ``oci.key_management`` models of the SDK)."""

from __future__ import annotations

from typing import Any

from strongroom.api.oci.render import rfc3339
from strongroom.domain.ekms_private_endpoint import EkmsPrivateEndpoint
from strongroom.services.etags import etag_of

__all__ = ["private_endpoint", "private_endpoint_etag", "private_endpoint_summary"]


def private_endpoint_summary(endpoint: EkmsPrivateEndpoint) -> dict[str, Any]:
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


def private_endpoint(endpoint: EkmsPrivateEndpoint) -> dict[str, Any]:
    """EkmsPrivateEndpoint."""
    return {
        **private_endpoint_summary(endpoint),
        "lifecycleDetails": None,
        "externalKeyManagerIp": endpoint.external_key_manager_ip,
        "port": endpoint.port,
        "caBundle": endpoint.ca_bundle_pem,
        # No network is attached: Strongroom itself dials the EKM's address.
        "privateEndpointIp": None,
    }


def private_endpoint_etag(endpoint: EkmsPrivateEndpoint) -> str:
    """The etag of a private endpoint's current row version."""
    return etag_of(endpoint.id, endpoint.version)
