"""Storing EKMS private endpoints, and the copy a vault keeps of one, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from strongroom.domain.ekm import ExternalKeyManager
from strongroom.domain.ekms_private_endpoint import EkmsPrivateEndpoint
from strongroom.domain.errors import Conflict
from strongroom.domain.lifecycle import State
from strongroom.domain.paging import PageRequest
from strongroom.domain.vault import VaultType
from strongroom.storage.unit_of_work import Database
from tests.integration.storage_support import T0, ocid, vault_of

CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" * 3


def _endpoint(tenancy: str, name: str = "pe") -> EkmsPrivateEndpoint:
    return EkmsPrivateEndpoint(
        id=ocid("ekmsprivateendpoint"),
        tenancy_id=tenancy,
        compartment_id=tenancy,
        subnet_id=ocid("subnet"),
        display_name=name,
        external_key_manager_ip="2001:db8::7",
        port=8443,
        ca_bundle_pem=CA,
        lifecycle_state=State.ACTIVE,
        time_created=T0,
        time_updated=T0,
        freeform_tags={"a": "b"},
        defined_tags={"ns": {"k": "v"}},
    )


def test_private_endpoints_round_trip_list_change_and_delete(db: Database) -> None:
    tenancy = ocid("tenancy")
    first, second = _endpoint(tenancy, "first"), _endpoint(tenancy, "second")
    with db.transaction() as tx:
        tx.private_endpoints.add(first)
        tx.private_endpoints.add(second)
    with db.transaction() as tx:
        assert tx.private_endpoints.get(first.id) == first
        listed = tx.private_endpoints.list(tenancy, tenancy, PageRequest(limit=10))
        assert {e.id for e in listed} == {first.id, second.id}
        assert tx.private_endpoints.list(ocid("tenancy"), tenancy, PageRequest(limit=10)) == []
    stale = replace(first)
    with db.transaction() as tx:
        first.display_name = "renamed"
        tx.private_endpoints.save(first)
    assert first.version == 2
    with db.transaction() as tx, pytest.raises(Conflict):
        tx.private_endpoints.save(stale)
    with db.transaction() as tx, pytest.raises(Conflict):
        tx.private_endpoints.delete(stale)
    with db.transaction() as tx:
        tx.private_endpoints.delete(first)
    with db.transaction() as tx:
        assert tx.private_endpoints.get(first.id) is None
        assert tx.private_endpoints.get(second.id) == second


def test_a_vault_keeps_its_private_endpoint_and_is_found_by_it(db: Database) -> None:
    tenancy = ocid("tenancy")
    endpoint = _endpoint(tenancy)
    ekm = ExternalKeyManager(
        endpoint_url="https://ekm.example:8443/kms/xks/v1",
        client_app_id="AKIA",
        sealed_client_secret=b"sealed",
        private_endpoint_id=endpoint.id,
        dial=endpoint.dial(),
    )
    vault = vault_of(tenancy, vault_type=VaultType.EXTERNAL, external=ekm)
    with db.transaction() as tx:
        tx.private_endpoints.add(endpoint)
        tx.vaults.add(vault)
    with db.transaction() as tx:
        loaded = tx.vaults.get(vault.id)
        assert loaded == vault
        assert loaded is not None and loaded.external is not None
        assert loaded.external.dial == endpoint.dial()
        assert [v.id for v in tx.private_endpoints.vaults_using(endpoint.id)] == [vault.id]
        assert tx.private_endpoints.vaults_using(ocid("ekmsprivateendpoint")) == []
