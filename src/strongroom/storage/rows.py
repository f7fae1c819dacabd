"""Mapping between table rows and domain objects."""

from __future__ import annotations

from typing import Any

from strongroom.domain.ekm import EkmHealth, EkmHealthState, ExternalKeyManager
from strongroom.domain.ekms_private_endpoint import EkmDial, EkmsPrivateEndpoint
from strongroom.domain.identity import ApiKey, Group, Tenancy, User
from strongroom.domain.key import (
    Algorithm,
    Curve,
    Key,
    KeyShape,
    KeyVersion,
    Origin,
    ProtectionMode,
)
from strongroom.domain.lifecycle import State
from strongroom.domain.vault import Vault, VaultType


def vault_from_row(row: Any) -> Vault:
    return Vault(
        id=row.id,
        tenancy_id=row.tenancy_id,
        compartment_id=row.compartment_id,
        display_name=row.display_name,
        vault_type=VaultType(row.vault_type),
        lifecycle_state=State(row.lifecycle_state),
        time_created=row.time_created,
        time_of_deletion=row.time_of_deletion,
        freeform_tags=dict(row.freeform_tags),
        defined_tags=dict(row.defined_tags),
        version=row.version,
        external=_ekm_from_row(row),
    )


def _ekm_from_row(row: Any) -> ExternalKeyManager | None:
    if row.ekm_endpoint_url is None:
        return None
    dial = None
    if row.ekm_dial_ip is not None:
        dial = EkmDial(row.ekm_dial_ip, row.ekm_dial_port, row.ekm_ca_bundle)
    return ExternalKeyManager(
        endpoint_url=row.ekm_endpoint_url,
        client_app_id=row.ekm_client_app_id,
        sealed_client_secret=bytes(row.ekm_client_secret),
        idp_url=row.ekm_idp_url,
        private_endpoint_id=row.ekm_private_endpoint_id,
        dial=dial,
    )


def _ekm_to_row(ekm: ExternalKeyManager | None) -> dict[str, Any]:
    dial = ekm.dial if ekm else None
    return {
        "ekm_endpoint_url": ekm.endpoint_url if ekm else None,
        "ekm_idp_url": ekm.idp_url if ekm else None,
        "ekm_client_app_id": ekm.client_app_id if ekm else None,
        "ekm_client_secret": ekm.sealed_client_secret if ekm else None,
        "ekm_private_endpoint_id": ekm.private_endpoint_id if ekm else None,
        "ekm_dial_ip": dial.ip if dial else None,
        "ekm_dial_port": dial.port if dial else None,
        "ekm_ca_bundle": dial.ca_bundle_pem if dial else None,
    }


def ekm_health_from_row(row: Any) -> EkmHealth:
    return EkmHealth(row.vault_id, EkmHealthState(row.state), row.detail, row.time_checked)


def ekm_health_to_row(health: EkmHealth) -> dict[str, Any]:
    return {
        "vault_id": health.vault_id,
        "state": health.state.value,
        "detail": health.detail[:512],
        "time_checked": health.time_checked,
    }


def vault_to_row(vault: Vault) -> dict[str, Any]:
    return {
        **_ekm_to_row(vault.external),
        "id": vault.id,
        "tenancy_id": vault.tenancy_id,
        "compartment_id": vault.compartment_id,
        "display_name": vault.display_name,
        "vault_type": vault.vault_type.value,
        "lifecycle_state": vault.lifecycle_state.value,
        "time_created": vault.time_created,
        "time_of_deletion": vault.time_of_deletion,
        "freeform_tags": vault.freeform_tags,
        "defined_tags": vault.defined_tags,
        "version": vault.version,
    }


def key_from_row(row: Any) -> Key:
    shape = KeyShape(
        Algorithm(row.algorithm), row.length, Curve(row.curve_id) if row.curve_id else None
    )
    return Key(
        id=row.id,
        tenancy_id=row.tenancy_id,
        compartment_id=row.compartment_id,
        vault_id=row.vault_id,
        display_name=row.display_name,
        shape=shape,
        protection_mode=ProtectionMode(row.protection_mode),
        lifecycle_state=State(row.lifecycle_state),
        current_version_id=row.current_version_id,
        time_created=row.time_created,
        time_of_deletion=row.time_of_deletion,
        freeform_tags=dict(row.freeform_tags),
        defined_tags=dict(row.defined_tags),
        version=row.version,
        external_key_id=row.external_key_id,
        external_key_version_id=row.external_key_version_id,
        deletion_protection=bool(row.deletion_protection),
        deletion_protection_description=row.deletion_protection_description,
    )


def key_to_row(key: Key) -> dict[str, Any]:
    return {
        "id": key.id,
        "tenancy_id": key.tenancy_id,
        "compartment_id": key.compartment_id,
        "vault_id": key.vault_id,
        "display_name": key.display_name,
        "algorithm": key.shape.algorithm.value,
        "length": key.shape.length,
        "curve_id": key.shape.curve_id.value if key.shape.curve_id else None,
        "protection_mode": key.protection_mode.value,
        "lifecycle_state": key.lifecycle_state.value,
        "current_version_id": key.current_version_id,
        "time_created": key.time_created,
        "time_of_deletion": key.time_of_deletion,
        "freeform_tags": key.freeform_tags,
        "defined_tags": key.defined_tags,
        "version": key.version,
        "external_key_id": key.external_key_id,
        "external_key_version_id": key.external_key_version_id,
        "deletion_protection": key.deletion_protection,
        "deletion_protection_description": key.deletion_protection_description,
    }


def key_version_from_row(row: Any) -> KeyVersion:
    return KeyVersion(
        id=row.id,
        key_id=row.key_id,
        tenancy_id=row.tenancy_id,
        compartment_id=row.compartment_id,
        vault_id=row.vault_id,
        lifecycle_state=State(row.lifecycle_state),
        origin=Origin(row.origin),
        time_created=row.time_created,
        material=bytes(row.material),
        public_key_pem=row.public_key_pem,
        time_of_deletion=row.time_of_deletion,
        version=row.version,
        external_key_id=row.external_key_id,
        external_key_version_id=row.external_key_version_id,
    )


def key_version_to_row(kv: KeyVersion) -> dict[str, Any]:
    return {
        "id": kv.id,
        "key_id": kv.key_id,
        "tenancy_id": kv.tenancy_id,
        "compartment_id": kv.compartment_id,
        "vault_id": kv.vault_id,
        "lifecycle_state": kv.lifecycle_state.value,
        "origin": kv.origin.value,
        "material": kv.material,
        "public_key_pem": kv.public_key_pem,
        "time_created": kv.time_created,
        "time_of_deletion": kv.time_of_deletion,
        "version": kv.version,
        "external_key_id": kv.external_key_id,
        "external_key_version_id": kv.external_key_version_id,
    }


def tenancy_from_row(row: Any) -> Tenancy:
    return Tenancy(row.id, row.name, row.home_region, row.time_created)


def user_from_row(row: Any) -> User:
    return User(
        row.id, row.tenancy_id, row.name, row.description, row.lifecycle_state, row.time_created
    )


def group_from_row(row: Any) -> Group:
    return Group(row.id, row.tenancy_id, row.name, row.description, row.time_created)


def api_key_from_row(row: Any) -> ApiKey:
    return ApiKey(
        row.user_id,
        row.tenancy_id,
        row.fingerprint,
        row.public_key_pem,
        row.lifecycle_state,
        row.time_created,
    )


def private_endpoint_from_row(row: Any) -> EkmsPrivateEndpoint:
    return EkmsPrivateEndpoint(
        id=row.id,
        tenancy_id=row.tenancy_id,
        compartment_id=row.compartment_id,
        subnet_id=row.subnet_id,
        display_name=row.display_name,
        external_key_manager_ip=row.external_key_manager_ip,
        port=row.port,
        ca_bundle_pem=row.ca_bundle,
        lifecycle_state=State(row.lifecycle_state),
        time_created=row.time_created,
        time_updated=row.time_updated,
        freeform_tags=dict(row.freeform_tags),
        defined_tags=dict(row.defined_tags),
        version=row.version,
    )


def private_endpoint_to_row(endpoint: EkmsPrivateEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "tenancy_id": endpoint.tenancy_id,
        "compartment_id": endpoint.compartment_id,
        "subnet_id": endpoint.subnet_id,
        "display_name": endpoint.display_name,
        "external_key_manager_ip": endpoint.external_key_manager_ip,
        "port": endpoint.port,
        "ca_bundle": endpoint.ca_bundle_pem,
        "lifecycle_state": endpoint.lifecycle_state.value,
        "time_created": endpoint.time_created,
        "time_updated": endpoint.time_updated,
        "freeform_tags": endpoint.freeform_tags,
        "defined_tags": endpoint.defined_tags,
        "version": endpoint.version,
    }
