"""Vault use cases: create, get, list, update, schedule and cancel deletion."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from strongroom.domain import tags
from strongroom.domain.ekm import EkmHealth, EkmProtocolName, ExternalKeyManager, secret_identity
from strongroom.domain.ekms_private_endpoint import EkmDial
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.ids import new_ocid
from strongroom.domain.lifecycle import State, deletion_time, require_state
from strongroom.domain.paging import Page, PageRequest, cut
from strongroom.domain.vault import VAULT_DELETION_DAYS, Vault, VaultType
from strongroom.iam.target import Target
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.etags import check_etag
from strongroom.services.external import private_endpoints
from strongroom.services.lookup import as_of, require_compartment, vault_for
from strongroom.services.ports import Deps

__all__ = [
    "CancelVaultDeletionRequest",
    "CreateVaultRequest",
    "ExternalKeyManagerMetadata",
    "GetVaultRequest",
    "ListVaultsRequest",
    "ScheduleVaultDeletionRequest",
    "UpdateVaultRequest",
    "VaultView",
    "cancel_vault_deletion",
    "create_vault",
    "get_vault",
    "list_vaults",
    "schedule_vault_deletion",
    "update_vault",
]


@dataclass(frozen=True, kw_only=True)
class ExternalKeyManagerMetadata:
    """Validated externalKeyManagerMetadata of CreateVault; the secret is sealed at once."""

    endpoint_url: str
    idp_url: str | None
    client_app_id: str
    client_secret: str = field(repr=False)
    private_endpoint_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class CreateVaultRequest:
    """Input of CreateVault: DEFAULT, VIRTUAL_PRIVATE, or EXTERNAL with its EKM's metadata."""

    compartment_id: str
    display_name: str
    vault_type: VaultType
    external_key_manager: ExternalKeyManagerMetadata | None = None
    freeform_tags: tags.FreeformTags = field(default_factory=dict)
    defined_tags: tags.DefinedTags = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class GetVaultRequest:
    """Input of GetVault."""

    vault_id: str


@dataclass(frozen=True, kw_only=True)
class ListVaultsRequest:
    """Input of ListVaults: the vaults of a compartment, one window at a time."""

    compartment_id: str
    page: PageRequest = field(default_factory=PageRequest)


@dataclass(frozen=True, kw_only=True)
class UpdateVaultRequest:
    """Input of UpdateVault; a field left None stays as it is."""

    vault_id: str
    display_name: str | None = None
    freeform_tags: tags.FreeformTags | None = None
    defined_tags: tags.DefinedTags | None = None
    if_match: str | None = None


@dataclass(frozen=True, kw_only=True)
class ScheduleVaultDeletionRequest:
    """Input of ScheduleVaultDeletion; no ``time_of_deletion`` means in 30 days."""

    vault_id: str
    time_of_deletion: datetime | None = None
    if_match: str | None = None


@dataclass(frozen=True, kw_only=True)
class CancelVaultDeletionRequest:
    """Input of CancelVaultDeletion."""

    vault_id: str
    if_match: str | None = None


@dataclass(frozen=True)
class VaultView:
    """A vault with, for EXTERNAL vaults, the latest health check of its EKM."""

    vault: Vault
    health: EkmHealth | None = None


def create_vault(deps: Deps, call: Call, request: CreateVaultRequest) -> Vault:
    """Create an ACTIVE vault: DEFAULT, VIRTUAL_PRIVATE, or EXTERNAL with its EKM's metadata."""
    _check_external(request)
    vault_id = new_ocid("vault", deps.region, deps.random_bytes)
    with deps.db.transaction() as tx:
        require_compartment(deps, tx, call, request.compartment_id)
        external = request.external_key_manager
        dial = None
        if external is not None and external.private_endpoint_id is not None:
            endpoint_id = external.private_endpoint_id
            dial = private_endpoints.dial_for_vault(deps, tx, call, endpoint_id).dial()
        target = Target(call.principal.tenancy_id, request.compartment_id)
        authorize(deps, call, "CreateVault", target)
        vault = Vault(
            id=vault_id,
            tenancy_id=call.principal.tenancy_id,
            compartment_id=request.compartment_id,
            display_name=request.display_name,
            vault_type=request.vault_type,
            lifecycle_state=State.ACTIVE,
            time_created=deps.clock.now(),
            freeform_tags=request.freeform_tags,
            defined_tags=request.defined_tags,
            external=_sealed(deps, vault_id, external, dial),
        )
        tx.vaults.add(vault)
    return vault


def _check_external(request: CreateVaultRequest) -> None:
    external = request.external_key_manager
    if request.vault_type is not VaultType.EXTERNAL:
        if external is not None:
            raise InvalidParameter("externalKeyManagerMetadata is only valid for EXTERNAL vaults")
        return
    if external is None:
        raise InvalidParameter("EXTERNAL vaults need externalKeyManagerMetadata")
    scheme = urlsplit(external.endpoint_url).scheme  # lower case, as require_endpoint_url saw it
    if external.private_endpoint_id is not None and scheme != "https":
        raise InvalidParameter(
            "externalKeyManagerMetadata.externalVaultEndpointUrl must use https with a private "
            "endpoint (the endpoint's caBundle is what the EKM's certificate is checked against)"
        )
    probe = ExternalKeyManager(external.endpoint_url, external.client_app_id, b"")
    if probe.protocol is EkmProtocolName.EKMS and external.idp_url is None:
        raise InvalidParameter(
            "externalKeyManagerMetadata.oauthMetadata.idcsAccountNameUrl is required: "
            "Strongroom gets its EKM tokens from that identity provider"
        )


def _sealed(
    deps: Deps, vault_id: str, external: ExternalKeyManagerMetadata | None, dial: EkmDial | None
) -> ExternalKeyManager | None:
    if external is None:
        return None
    sealed = deps.barrier.seal(external.client_secret.encode("utf-8"), secret_identity(vault_id))
    return ExternalKeyManager(
        endpoint_url=external.endpoint_url,
        client_app_id=external.client_app_id,
        sealed_client_secret=sealed,
        idp_url=external.idp_url,
        private_endpoint_id=external.private_endpoint_id,
        dial=dial,
    )


def get_vault(deps: Deps, call: Call, request: GetVaultRequest) -> Vault:
    """One vault, with its state as of now."""
    with deps.db.transaction(read_only=True) as tx:
        return vault_for(deps, tx, call, request.vault_id, "GetVault")


def list_vaults(deps: Deps, call: Call, request: ListVaultsRequest) -> Page[Vault]:
    """Vaults in a compartment, one window at a time."""
    compartment_id, page = request.compartment_id, request.page
    with deps.db.transaction(read_only=True) as tx:
        require_compartment(deps, tx, call, compartment_id)
        target = Target(call.principal.tenancy_id, compartment_id)
        authorize(deps, call, "ListVaults", target)
        found = tx.vaults.list(call.principal.tenancy_id, compartment_id, page)
    now = deps.clock.now()
    return cut([as_of(v, now) for v in found], page)


def update_vault(deps: Deps, call: Call, request: UpdateVaultRequest) -> Vault:
    """Change display name or tags of an ACTIVE vault."""
    with deps.db.transaction() as tx:
        vault = vault_for(deps, tx, call, request.vault_id, "UpdateVault")
        check_etag(vault.id, vault.version, request.if_match)
        require_state(vault.lifecycle_state, (State.ACTIVE,), "vault")
        if request.display_name is not None:
            vault.display_name = request.display_name
        if request.freeform_tags is not None:
            vault.freeform_tags = request.freeform_tags
        if request.defined_tags is not None:
            vault.defined_tags = request.defined_tags
        tx.vaults.save(vault)
    return vault


def schedule_vault_deletion(deps: Deps, call: Call, request: ScheduleVaultDeletionRequest) -> Vault:
    """Move an ACTIVE vault to PENDING_DELETION for 7-30 days; its keys go with it."""
    with deps.db.transaction() as tx:
        vault = vault_for(deps, tx, call, request.vault_id, "ScheduleVaultDeletion")
        check_etag(vault.id, vault.version, request.if_match)
        require_state(vault.lifecycle_state, (State.ACTIVE,), "vault")
        low, high = VAULT_DELETION_DAYS
        when = request.time_of_deletion
        vault.time_of_deletion = deletion_time(deps.clock.now(), when, low, high)
        vault.lifecycle_state = State.PENDING_DELETION
        tx.vaults.save(vault)
    return vault


def cancel_vault_deletion(deps: Deps, call: Call, request: CancelVaultDeletionRequest) -> Vault:
    """Bring a PENDING_DELETION vault back to ACTIVE before its time comes."""
    with deps.db.transaction() as tx:
        vault = vault_for(deps, tx, call, request.vault_id, "CancelVaultDeletion")
        check_etag(vault.id, vault.version, request.if_match)
        require_state(vault.lifecycle_state, (State.PENDING_DELETION,), "vault")
        vault.lifecycle_state = State.ACTIVE
        vault.time_of_deletion = None
        tx.vaults.save(vault)
    return vault
