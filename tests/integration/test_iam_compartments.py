"""Compartments through the SDK's IdentityClient: a nested tree, listing, renaming, deletion."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from oci.identity import models as im
from oci.key_management import models as m

from tests.clock import ManualClock
from tests.integration import iam_support, support
from tests.integration.iam_support import Iam, refused, unique
from tests.integration.support import Server, service_error


@pytest.fixture
def iam(server: Server, tmp_path: Path) -> Iterator[Iam]:
    with iam_support.iam_session(server, tmp_path) as helper:
        yield helper


def test_nested_compartments_are_created_and_read_back(iam: Iam) -> None:
    chain = iam.compartments("Apps", "Prod", "EU", "Paris", "Blue")
    parent = iam.tenancy
    for compartment in chain:
        got = iam.admin.get_compartment(compartment.id).data
        assert got.id == compartment.id
        assert got.compartment_id == parent
        assert got.name == compartment.name
        assert got.description == "made by a test"
        assert got.lifecycle_state == "ACTIVE"
        assert got.id.startswith("ocid1.compartment.")
        assert got.time_created is not None
        parent = compartment.id


def test_listing_direct_children_and_the_subtree(iam: Iam) -> None:
    apps, prod, eu = iam.compartments("Apps", "Prod", "EU")
    dev = iam.compartment(apps.id, "Dev")
    unrelated = iam.compartment()

    children = iam.admin.list_compartments(apps.id).data
    assert sorted(c.name for c in children) == ["Dev", "Prod"]
    subtree = iam.admin.list_compartments(apps.id, compartment_id_in_subtree=True).data
    assert {c.id for c in subtree} == {prod.id, eu.id, dev.id}
    assert iam.admin.list_compartments(eu.id).data == []

    top = {c.id for c in iam.admin.list_compartments(iam.tenancy, limit=1000).data}
    assert {apps.id, unrelated.id} <= top
    assert not {prod.id, eu.id, dev.id} & top
    everything = iam.admin.list_compartments(
        iam.tenancy, compartment_id_in_subtree=True, limit=1000
    ).data
    assert {apps.id, prod.id, eu.id, dev.id, unrelated.id} <= {c.id for c in everything}


def test_listing_pages(iam: Iam) -> None:
    (parent,) = iam.compartments("Paged")
    made = {iam.compartment(parent.id, f"child{i}").id for i in range(5)}
    first = iam.admin.list_compartments(parent.id, limit=2)
    assert len(first.data) == 2
    assert first.has_next_page
    seen = {c.id for c in first.data}
    page = first.next_page
    while page:
        response = iam.admin.list_compartments(parent.id, limit=2, page=page)
        seen |= {c.id for c in response.data}
        page = response.next_page
    assert seen == made


def test_update_name_and_description(iam: Iam) -> None:
    apps, prod = iam.compartments("Apps", "Prod")
    updated = iam.admin.update_compartment(
        prod.id, im.UpdateCompartmentDetails(name="Production", description="renamed")
    ).data
    assert (updated.name, updated.description) == ("Production", "renamed")
    got = iam.admin.get_compartment(prod.id).data
    assert (got.name, got.description, got.compartment_id) == ("Production", "renamed", apps.id)
    only_description = iam.admin.update_compartment(
        prod.id, im.UpdateCompartmentDetails(description="again")
    ).data
    assert (only_description.name, only_description.description) == ("Production", "again")


def test_sibling_names_are_unique_but_cousins_may_share_them(iam: Iam) -> None:
    apps, _ = iam.compartments("Apps", "Prod")
    other = iam.compartment()
    for name in ("Prod", "PROD", "prod"):
        service_error(
            iam.admin.create_compartment,
            im.CreateCompartmentDetails(compartment_id=apps.id, name=name, description="dup"),
            status=409,
            code="Conflict",
        )
    assert iam.compartment(other.id, "Prod").name == "Prod"
    assert [c.name for c in iam.admin.list_compartments(apps.id).data] == ["Prod"]


def test_renaming_onto_a_sibling_name_is_a_conflict(iam: Iam) -> None:
    (apps,) = iam.compartments("Apps")
    iam.compartment(apps.id, "Prod")
    dev = iam.compartment(apps.id, "Dev")
    service_error(
        iam.admin.update_compartment,
        dev.id,
        im.UpdateCompartmentDetails(name="Prod"),
        status=409,
        code="Conflict",
    )
    assert iam.admin.get_compartment(dev.id).data.name == "Dev"


@pytest.mark.parametrize(
    "name",
    ["", "has space", "quote'd", "Apps:Prod", "to", "tenancy", "x" * 101, "semi;colon"],
)
def test_names_unusable_in_policies_are_refused(iam: Iam, name: str) -> None:
    iam_support.invalid(
        iam.admin.create_compartment,
        im.CreateCompartmentDetails(compartment_id=iam.tenancy, name=name, description="bad"),
    )


def test_delete_only_when_empty(iam: Iam) -> None:
    apps, prod = iam.compartments("Apps", "Prod")
    vault = iam.vault(prod.id)

    error = service_error(iam.admin.delete_compartment, prod.id, status=409, code="IncorrectState")
    assert "empty" in error.message
    service_error(iam.admin.delete_compartment, apps.id, status=409, code="IncorrectState")

    iam.admin_vaults.change_vault_compartment(
        vault.id, m.ChangeVaultCompartmentDetails(compartment_id=iam.tenancy)
    )
    response = iam.admin.delete_compartment(prod.id)
    assert response.status == 204
    assert iam.admin.get_compartment(prod.id).data.lifecycle_state == "DELETED"
    service_error(iam.admin.delete_compartment, prod.id, status=409, code="IncorrectState")
    assert iam.admin.delete_compartment(apps.id).status == 204
    assert iam.admin.get_compartment(apps.id).data.lifecycle_state == "DELETED"


def test_a_deleted_compartment_holds_nothing_new_and_frees_its_name(iam: Iam) -> None:
    apps, prod = iam.compartments("Apps", "Prod")
    iam.admin.delete_compartment(prod.id)
    refused(
        iam.admin.create_compartment,
        im.CreateCompartmentDetails(compartment_id=prod.id, name="Child", description="x"),
    )
    refused(
        iam.admin_vaults.create_vault,
        m.CreateVaultDetails(compartment_id=prod.id, display_name="v", vault_type="DEFAULT"),
    )
    subtree = iam.admin.list_compartments(apps.id, compartment_id_in_subtree=True).data
    assert prod.id not in {c.id for c in subtree}
    again = iam.compartment(apps.id, prod.name)
    assert again.id != prod.id
    assert again.lifecycle_state == "ACTIVE"


def test_a_policy_keeps_its_compartment_from_being_deleted(iam: Iam) -> None:
    (apps,) = iam.compartments("Apps")
    group = iam.group()
    policy = iam.policy(f"Allow group {group.name} to read vaults in tenancy", compartment=apps.id)
    service_error(iam.admin.delete_compartment, apps.id, status=409, code="IncorrectState")
    iam.admin.delete_policy(policy.id)
    assert iam.admin.delete_compartment(apps.id).status == 204


def test_nesting_is_limited(iam: Iam) -> None:
    chain = iam.compartments(*(f"level{i}" for i in range(8)))
    error = service_error(
        iam.admin.create_compartment,
        im.CreateCompartmentDetails(compartment_id=chain[-1].id, name="too-deep", description="x"),
        status=409,
        code="IncorrectState",
    )
    assert "nested" in error.message


def test_unknown_compartments_look_like_forbidden_ones(iam: Iam) -> None:
    missing = "ocid1.compartment.oc1.us-ashburn-1..aaaaaaaa" + "q" * 52
    refused(iam.admin.get_compartment, missing)
    refused(iam.admin.list_compartments, missing)
    refused(
        iam.admin.create_compartment,
        im.CreateCompartmentDetails(compartment_id=missing, name=unique("c"), description="x"),
    )
    refused(iam.admin.delete_compartment, missing)


def test_vaults_and_keys_past_their_deletion_time_no_longer_hold_a_compartment(
    iam: Iam, clock: ManualClock
) -> None:
    vaults_home, keys_home = iam.compartments("VaultsHome"), iam.compartments("KeysHome")
    vault = iam.vault(vaults_home[0].id)
    iam.key(vault, keys_home[0].id)  # a key may live in another compartment than its vault
    when = clock.now() + timedelta(days=8)
    iam.admin_vaults.schedule_vault_deletion(
        vault.id, m.ScheduleVaultDeletionDetails(time_of_deletion=when)
    )
    for compartment in (vaults_home[0], keys_home[0]):
        service_error(
            iam.admin.delete_compartment, compartment.id, status=409, code="IncorrectState"
        )
    clock.advance(timedelta(days=9))
    assert iam.admin_vaults.get_vault(vault.id).data.lifecycle_state == "DELETED"
    assert iam.admin.delete_compartment(keys_home[0].id).status == 204
    assert iam.admin.delete_compartment(vaults_home[0].id).status == 204


def test_a_key_in_a_compartment_holds_it_even_when_its_vault_is_elsewhere(iam: Iam) -> None:
    (home,) = iam.compartments("KeyOnly")
    vault = iam.vault(iam.tenancy)
    key = iam.key(vault, home.id)
    service_error(iam.admin.delete_compartment, home.id, status=409, code="IncorrectState")
    kms = support.management_client(iam.server.config, vault)
    kms.change_key_compartment(key.id, m.ChangeKeyCompartmentDetails(compartment_id=iam.tenancy))
    assert iam.admin.delete_compartment(home.id).status == 204
