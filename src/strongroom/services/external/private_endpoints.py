"""EKMS private endpoint use cases: create, get, list, update, delete.

An endpoint is ACTIVE once created (there is no network to attach in Strongroom); it cannot be
deleted while a vault that is not deleted reaches its EKM through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from strongroom.crypto.providers.ekm_client.tls import check_ca_bundle
from strongroom.domain import tags
from strongroom.domain.ekms_private_endpoint import EkmsPrivateEndpoint
from strongroom.domain.errors import Conflict, InvalidParameter, NotAuthorized, NotFound
from strongroom.domain.ids import new_ocid
from strongroom.domain.lifecycle import State
from strongroom.domain.paging import Page, PageRequest, cut
from strongroom.iam.target import Target
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.lookup import NOT_FOUND, require_compartment
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "CreateEkmsPrivateEndpointRequest",
    "DeleteEkmsPrivateEndpointRequest",
    "GetEkmsPrivateEndpointRequest",
    "ListEkmsPrivateEndpointsRequest",
    "UpdateEkmsPrivateEndpointRequest",
    "create_private_endpoint",
    "delete_private_endpoint",
    "dial_for_vault",
    "endpoint_for",
    "get_private_endpoint",
    "list_private_endpoints",
    "target_of",
    "update_private_endpoint",
]


@dataclass(frozen=True, kw_only=True)
class CreateEkmsPrivateEndpointRequest:
    """Input of CreateEkmsPrivateEndpoint (the CA bundle's certificates are checked there)."""

    compartment_id: str
    subnet_id: str
    display_name: str
    external_key_manager_ip: str
    port: int
    ca_bundle_pem: str = field(repr=False)
    freeform_tags: tags.FreeformTags = field(default_factory=dict)
    defined_tags: tags.DefinedTags = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class GetEkmsPrivateEndpointRequest:
    """Input of GetEkmsPrivateEndpoint."""

    private_endpoint_id: str


@dataclass(frozen=True, kw_only=True)
class ListEkmsPrivateEndpointsRequest:
    """Input of ListEkmsPrivateEndpoints: the endpoints of a compartment, a window at a time."""

    compartment_id: str
    page: PageRequest = field(default_factory=PageRequest)


@dataclass(frozen=True, kw_only=True)
class UpdateEkmsPrivateEndpointRequest:
    """Input of UpdateEkmsPrivateEndpoint; a field left None stays as it is."""

    private_endpoint_id: str
    display_name: str | None = None
    freeform_tags: tags.FreeformTags | None = None
    defined_tags: tags.DefinedTags | None = None
    if_match: str | None = None


@dataclass(frozen=True, kw_only=True)
class DeleteEkmsPrivateEndpointRequest:
    """Input of DeleteEkmsPrivateEndpoint."""

    private_endpoint_id: str
    if_match: str | None = None


def target_of(endpoint: EkmsPrivateEndpoint) -> Target:
    """The policy target of a private endpoint."""
    return Target(
        endpoint.tenancy_id, endpoint.compartment_id, ekms_private_endpoint_id=endpoint.id
    )


def create_private_endpoint(
    deps: Deps, call: Call, request: CreateEkmsPrivateEndpointRequest
) -> EkmsPrivateEndpoint:
    """Create an ACTIVE private endpoint."""
    try:
        check_ca_bundle(request.ca_bundle_pem)
    except ValueError as error:
        raise InvalidParameter(f"caBundle {error}") from None
    now = deps.clock.now()
    endpoint = EkmsPrivateEndpoint(
        id=new_ocid("ekmsprivateendpoint", deps.region, deps.random_bytes),
        tenancy_id=call.principal.tenancy_id,
        compartment_id=request.compartment_id,
        subnet_id=request.subnet_id,
        display_name=request.display_name,
        external_key_manager_ip=request.external_key_manager_ip,
        port=request.port,
        ca_bundle_pem=request.ca_bundle_pem,
        lifecycle_state=State.ACTIVE,
        time_created=now,
        time_updated=now,
        freeform_tags=request.freeform_tags,
        defined_tags=request.defined_tags,
    )
    with deps.db.transaction() as tx:
        require_compartment(deps, tx, call, request.compartment_id)
        target = Target(endpoint.tenancy_id, endpoint.compartment_id)
        authorize(deps, call, "CreateEkmsPrivateEndpoint", target)
        tx.private_endpoints.add(endpoint)
    return endpoint


def endpoint_for(
    deps: Deps, tx: Transaction, call: Call, endpoint_id: str, operation: str
) -> EkmsPrivateEndpoint:
    """Load an authorized private endpoint of the caller's tenancy."""
    endpoint = tx.private_endpoints.get(endpoint_id)
    if endpoint is None or endpoint.tenancy_id != call.principal.tenancy_id:
        raise NotFound(NOT_FOUND)
    authorize(deps, call, operation, target_of(endpoint))
    return endpoint


def get_private_endpoint(
    deps: Deps, call: Call, request: GetEkmsPrivateEndpointRequest
) -> EkmsPrivateEndpoint:
    """One private endpoint."""
    with deps.db.transaction(read_only=True) as tx:
        endpoint_id = request.private_endpoint_id
        return endpoint_for(deps, tx, call, endpoint_id, "GetEkmsPrivateEndpoint")


def list_private_endpoints(
    deps: Deps, call: Call, request: ListEkmsPrivateEndpointsRequest
) -> Page[EkmsPrivateEndpoint]:
    """Private endpoints in a compartment, one window at a time."""
    compartment_id, page = request.compartment_id, request.page
    with deps.db.transaction(read_only=True) as tx:
        require_compartment(deps, tx, call, compartment_id)
        target = Target(call.principal.tenancy_id, compartment_id)
        authorize(deps, call, "ListEkmsPrivateEndpoints", target)
        found = tx.private_endpoints.list(call.principal.tenancy_id, compartment_id, page)
    return cut(found, page)


def update_private_endpoint(
    deps: Deps, call: Call, request: UpdateEkmsPrivateEndpointRequest
) -> EkmsPrivateEndpoint:
    """Change the display name or tags (address, port and CA bundle cannot change)."""
    endpoint_id = request.private_endpoint_id
    with deps.db.transaction() as tx:
        endpoint = endpoint_for(deps, tx, call, endpoint_id, "UpdateEkmsPrivateEndpoint")
        check_etag(endpoint.id, endpoint.version, request.if_match)
        if request.display_name is not None:
            endpoint.display_name = request.display_name
        if request.freeform_tags is not None:
            endpoint.freeform_tags = request.freeform_tags
        if request.defined_tags is not None:
            endpoint.defined_tags = request.defined_tags
        endpoint.time_updated = deps.clock.now()
        tx.private_endpoints.save(endpoint)
    return endpoint


def delete_private_endpoint(
    deps: Deps, call: Call, request: DeleteEkmsPrivateEndpointRequest
) -> EkmsPrivateEndpoint:
    """Delete a private endpoint that no vault (not deleted) uses; the deleted one is returned."""
    endpoint_id = request.private_endpoint_id
    with deps.db.transaction() as tx:
        endpoint = endpoint_for(deps, tx, call, endpoint_id, "DeleteEkmsPrivateEndpoint")
        check_etag(endpoint.id, endpoint.version, request.if_match)
        now = deps.clock.now()
        users = [
            v.id
            for v in tx.private_endpoints.vaults_using(endpoint.id)
            if v.state_at(now) is not State.DELETED
        ]
        if users:  # counted, not named: the caller may not be allowed to see those vaults
            raise Conflict(
                f"The private endpoint is used by {len(users)} vault(s); schedule their "
                "deletion first"
            )
        tx.private_endpoints.delete(endpoint)
    return endpoint


def dial_for_vault(
    deps: Deps, tx: Transaction, call: Call, endpoint_id: str
) -> EkmsPrivateEndpoint:
    """The ACTIVE private endpoint a new EXTERNAL vault names, which the caller may read
    (EKMS_PRIVATE_ENDPOINT_READ where it is); InvalidParameter otherwise, the same whether it
    does not exist or may not be read."""
    endpoint = tx.private_endpoints.get(endpoint_id)
    unknown = InvalidParameter(
        "externalKeyManagerMetadata.privateEndpointId names no EKMS private endpoint you may use"
    )
    if endpoint is None or endpoint.tenancy_id != call.principal.tenancy_id:
        raise unknown
    where = Target(endpoint.tenancy_id, endpoint.compartment_id)
    try:
        authorize(deps, call, "CreateVault", where, ("EKMS_PRIVATE_ENDPOINT_READ",))
    except NotAuthorized:
        raise unknown from None
    if endpoint.lifecycle_state is not State.ACTIVE:
        raise InvalidParameter(
            f"externalKeyManagerMetadata.privateEndpointId is {endpoint.lifecycle_state.value}, "
            "not ACTIVE"
        )
    return endpoint
