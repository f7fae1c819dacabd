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


@dataclass(frozen=True)
class NewPrivateEndpoint:
    """Validated input of CreateEkmsPrivateEndpoint (the CA bundle's certificates are checked
    by :func:`create_private_endpoint`)."""

    compartment_id: str
    subnet_id: str
    display_name: str
    external_key_manager_ip: str
    port: int
    ca_bundle_pem: str = field(repr=False)
    freeform_tags: tags.FreeformTags
    defined_tags: tags.DefinedTags


@dataclass(frozen=True)
class PrivateEndpointChanges:
    """Validated input of UpdateEkmsPrivateEndpoint; None leaves a field as it is."""

    display_name: str | None = None
    freeform_tags: tags.FreeformTags | None = None
    defined_tags: tags.DefinedTags | None = None


def target_of(endpoint: EkmsPrivateEndpoint) -> Target:
    """The policy target of a private endpoint."""
    return Target(
        endpoint.tenancy_id, endpoint.compartment_id, ekms_private_endpoint_id=endpoint.id
    )


def create_private_endpoint(deps: Deps, call: Call, new: NewPrivateEndpoint) -> EkmsPrivateEndpoint:
    """Create an ACTIVE private endpoint."""
    try:
        check_ca_bundle(new.ca_bundle_pem)
    except ValueError as error:
        raise InvalidParameter(f"caBundle {error}") from None
    now = deps.clock.now()
    endpoint = EkmsPrivateEndpoint(
        id=new_ocid("ekmsprivateendpoint", deps.region, deps.random_bytes),
        tenancy_id=call.principal.tenancy_id,
        compartment_id=new.compartment_id,
        subnet_id=new.subnet_id,
        display_name=new.display_name,
        external_key_manager_ip=new.external_key_manager_ip,
        port=new.port,
        ca_bundle_pem=new.ca_bundle_pem,
        lifecycle_state=State.ACTIVE,
        time_created=now,
        time_updated=now,
        freeform_tags=new.freeform_tags,
        defined_tags=new.defined_tags,
    )
    with deps.db.transaction() as tx:
        require_compartment(deps, tx, call, new.compartment_id)
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


def get_private_endpoint(deps: Deps, call: Call, endpoint_id: str) -> EkmsPrivateEndpoint:
    """One private endpoint."""
    with deps.db.transaction(read_only=True) as tx:
        return endpoint_for(deps, tx, call, endpoint_id, "GetEkmsPrivateEndpoint")


def list_private_endpoints(
    deps: Deps, call: Call, compartment_id: str, page: PageRequest
) -> Page[EkmsPrivateEndpoint]:
    """Private endpoints in a compartment, one window at a time."""
    with deps.db.transaction(read_only=True) as tx:
        require_compartment(deps, tx, call, compartment_id)
        target = Target(call.principal.tenancy_id, compartment_id)
        authorize(deps, call, "ListEkmsPrivateEndpoints", target)
        found = tx.private_endpoints.list(call.principal.tenancy_id, compartment_id, page)
    return cut(found, page)


def update_private_endpoint(
    deps: Deps,
    call: Call,
    endpoint_id: str,
    changes: PrivateEndpointChanges,
    if_match: str | None,
) -> EkmsPrivateEndpoint:
    """Change the display name or tags (address, port and CA bundle cannot change)."""
    with deps.db.transaction() as tx:
        endpoint = endpoint_for(deps, tx, call, endpoint_id, "UpdateEkmsPrivateEndpoint")
        check_etag(endpoint.id, endpoint.version, if_match)
        if changes.display_name is not None:
            endpoint.display_name = changes.display_name
        if changes.freeform_tags is not None:
            endpoint.freeform_tags = changes.freeform_tags
        if changes.defined_tags is not None:
            endpoint.defined_tags = changes.defined_tags
        endpoint.time_updated = deps.clock.now()
        tx.private_endpoints.save(endpoint)
    return endpoint


def delete_private_endpoint(deps: Deps, call: Call, endpoint_id: str, if_match: str | None) -> None:
    """Delete a private endpoint that no vault (not deleted) uses."""
    with deps.db.transaction() as tx:
        endpoint = endpoint_for(deps, tx, call, endpoint_id, "DeleteEkmsPrivateEndpoint")
        check_etag(endpoint.id, endpoint.version, if_match)
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
