"""Secrets through the SDK: create, get, list with filters and pages, update, move, delete."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from oci.key_management import KmsVaultClient
from oci.key_management import models as m
from oci.secrets import SecretsClient
from oci.vault import VaultsClient
from oci.vault import models as vm

from tests.clock import ManualClock
from tests.integration import iam_support, support
from tests.integration.secret_support import (
    create,
    error,
    read,
    unique_name,
    update,
)
from tests.integration.support import Server

pytest_plugins = ["tests.integration.secret_fixtures"]


def test_create_get_and_read(
    vaults: VaultsClient, bundles: SecretsClient, secret_vault: m.Vault, secret_key: m.Key
) -> None:
    name = unique_name("db-password")
    made = create(
        vaults,
        secret_vault,
        secret_key,
        b"hunter2",
        name=name,
        description="the database password",
        metadata={"endpoint": "db.example:5432", "port": 5432},
        freeform_tags={"team": "a"},
    )
    assert made.id.startswith("ocid1.vaultsecret.")
    assert made.lifecycle_state == "ACTIVE"
    assert made.secret_name == name
    assert made.vault_id == secret_vault.id
    assert made.key_id == secret_key.id
    assert made.current_version_number == 1
    assert made.metadata == {"endpoint": "db.example:5432", "port": 5432}
    assert made.freeform_tags == {"team": "a"}
    assert made.rotation_status == "NOT_ENABLED"
    assert made.is_auto_generation_enabled is False
    assert made.secret_rules == []

    got = vaults.get_secret(made.id)
    assert got.data.description == "the database password"
    assert got.headers["etag"]
    assert read(bundles, made.id) == b"hunter2"
    bundle = bundles.get_secret_bundle(made.id).data
    assert bundle.version_number == 1
    assert sorted(bundle.stages) == ["CURRENT", "LATEST"]
    assert bundle.metadata == made.metadata
    assert bundle.secret_bundle_content.content_type == "BASE64"


def test_list_filters_and_pages(
    vaults: VaultsClient,
    vault_client: KmsVaultClient,
    server: Server,
    tmp_path: Path,
    secret_key: m.Key,
    secret_vault: m.Vault,
) -> None:
    with iam_support.iam_session(server, tmp_path) as iam:
        compartment = iam.compartment().id
    other_vault = support.new_vault(vault_client, server.tenancy, "other")
    other_key = support.new_key(
        support.management_client(server.config, other_vault), server.tenancy, "AES", 32
    )
    names = [f"n{i}-{unique_name()}" for i in range(5)]
    made = [
        create(vaults, secret_vault, secret_key, b"x", name=n, compartment=compartment)
        for n in names
    ]
    elsewhere = create(vaults, other_vault, other_key, b"y", compartment=compartment)

    everything = vaults.list_secrets(compartment, limit=100).data
    assert {s.id for s in everything} == {s.id for s in made} | {elsewhere.id}
    by_vault = vaults.list_secrets(compartment, vault_id=secret_vault.id).data
    assert {s.id for s in by_vault} == {s.id for s in made}
    by_name = vaults.list_secrets(compartment, name=names[2]).data
    assert [s.id for s in by_name] == [made[2].id]
    ordered = vaults.list_secrets(compartment, vault_id=secret_vault.id, sort_by="NAME").data
    assert [s.secret_name for s in ordered] == sorted(names)

    vaults.schedule_secret_deletion(made[0].id, vm.ScheduleSecretDeletionDetails())
    pending = vaults.list_secrets(compartment, lifecycle_state="PENDING_DELETION").data
    assert [s.id for s in pending] == [made[0].id]
    active = vaults.list_secrets(compartment, lifecycle_state="ACTIVE").data
    assert made[0].id not in {s.id for s in active}

    # Pages: two at a time, newest first by default, each secret exactly once.
    seen: list[str] = []
    page = None
    while True:
        response = vaults.list_secrets(compartment, limit=2, page=page)
        assert len(response.data) <= 2
        seen += [s.id for s in response.data]
        page = response.next_page
        if page is None:
            break
    assert sorted(seen) == sorted(s.id for s in everything)
    assert len(seen) == len(set(seen)) == 6


def test_update_fields_keeps_content(
    vaults: VaultsClient, bundles: SecretsClient, secret: vm.Secret
) -> None:
    updated = update(
        vaults,
        secret.id,
        description="new words",
        metadata={"k": "v"},
        freeform_tags={"x": "y"},
        defined_tags={"ns": {"a": "b"}},
    )
    assert updated.description == "new words"
    assert updated.metadata == {"k": "v"}
    assert updated.freeform_tags == {"x": "y"}
    assert updated.defined_tags == {"ns": {"a": "b"}}
    assert updated.current_version_number == 1
    assert read(bundles, secret.id) == b"v1"


def test_schedule_and_cancel_deletion(
    vaults: VaultsClient, bundles: SecretsClient, secret: vm.Secret, clock: ManualClock
) -> None:
    when = clock.now() + timedelta(days=3)
    vaults.schedule_secret_deletion(
        secret.id, vm.ScheduleSecretDeletionDetails(time_of_deletion=when)
    )
    got = vaults.get_secret(secret.id).data
    assert got.lifecycle_state == "PENDING_DELETION"
    assert got.time_of_deletion == when
    message = error(bundles.get_secret_bundle, secret.id, status=409, code="IncorrectState")
    assert "PENDING_DELETION" in message
    error(update, vaults, secret.id, description="no", status=409, code="IncorrectState")

    vaults.cancel_secret_deletion(secret.id)
    got = vaults.get_secret(secret.id).data
    assert got.lifecycle_state == "ACTIVE"
    assert got.time_of_deletion is None
    assert read(bundles, secret.id) == b"v1"


def test_deletion_window_and_the_clock(
    vaults: VaultsClient,
    bundles: SecretsClient,
    secret_vault: m.Vault,
    secret_key: m.Key,
    clock: ManualClock,
) -> None:
    made = create(vaults, secret_vault, secret_key, b"short-lived")
    for days in (0, 31):
        when = clock.now() + timedelta(days=days)
        error(
            vaults.schedule_secret_deletion,
            made.id,
            vm.ScheduleSecretDeletionDetails(time_of_deletion=when),
            status=400,
            code="InvalidParameter",
        )
    vaults.schedule_secret_deletion(made.id, vm.ScheduleSecretDeletionDetails())
    default = vaults.get_secret(made.id).data.time_of_deletion
    assert default == clock.now() + timedelta(days=30)

    clock.advance(timedelta(days=30, seconds=1))
    assert vaults.get_secret(made.id).data.lifecycle_state == "DELETED"
    error(vaults.cancel_secret_deletion, made.id, status=409, code="IncorrectState")
    error(bundles.get_secret_bundle, made.id, status=409, code="IncorrectState")
    # The name is free again once the secret is deleted.
    again = create(vaults, secret_vault, secret_key, b"reborn", name=made.secret_name)
    assert read(bundles, again.id) == b"reborn"
    assert vaults.get_secret(made.id).data.lifecycle_state == "DELETED"
    by_name = bundles.get_secret_bundle_by_name(made.secret_name, secret_vault.id).data
    assert by_name.secret_id == again.id


def test_change_compartment(
    vaults: VaultsClient, bundles: SecretsClient, secret: vm.Secret, server: Server, tmp_path: Path
) -> None:
    with iam_support.iam_session(server, tmp_path) as iam:
        target = iam.compartment()
        vaults.change_secret_compartment(
            secret.id, vm.ChangeSecretCompartmentDetails(compartment_id=target.id)
        )
        assert vaults.get_secret(secret.id).data.compartment_id == target.id
        assert [s.id for s in vaults.list_secrets(target.id).data] == [secret.id]
        assert read(bundles, secret.id) == b"v1"
        # A compartment holding a secret cannot be deleted.
        error(iam.admin.delete_compartment, target.id, status=409)


def test_duplicate_names_are_refused_per_vault(
    vaults: VaultsClient,
    vault_client: KmsVaultClient,
    server: Server,
    secret_vault: m.Vault,
    secret_key: m.Key,
) -> None:
    name = unique_name()
    create(vaults, secret_vault, secret_key, b"one", name=name)
    message = error(
        create, vaults, secret_vault, secret_key, b"two", name=name, status=409, code="Conflict"
    )
    assert name in message
    # The same name in another vault is fine.
    other = support.new_vault(vault_client, server.tenancy, "other")
    key = support.new_key(
        support.management_client(server.config, other), server.tenancy, "AES", 32
    )
    assert create(vaults, other, key, b"three", name=name).secret_name == name
