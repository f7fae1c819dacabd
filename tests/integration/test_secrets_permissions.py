"""What policies let a non-administrator do with secrets (REFERENCE permission table)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from oci.key_management import models as m
from oci.secrets import SecretsClient
from oci.vault import VaultsClient
from oci.vault import models as vm

from tests.integration import iam_support
from tests.integration.iam_support import Iam, Person, refused
from tests.integration.secret_support import (
    content,
    create,
    read,
    secrets_client,
    unique_name,
    update,
    vaults_client,
)
from tests.integration.support import Server


@pytest.fixture
def iam(server: Server, tmp_path: Path) -> Iterator[Iam]:
    with iam_support.iam_session(server, tmp_path) as helper:
        yield helper


def _place(iam: Iam) -> tuple[str, str, m.Vault, m.Key]:
    """A compartment (name, id) with a vault and an AES key in it."""
    compartment = iam.compartment()
    vault = iam.vault(compartment.id)
    return compartment.name, compartment.id, vault, iam.key(vault)


def _clients(person: Person, server: Server) -> tuple[VaultsClient, SecretsClient]:
    return vaults_client(person.config, server.url), secrets_client(person.config, server.url)


def test_create_secret_needs_every_permission(iam: Iam, server: Server) -> None:
    name, compartment, vault, key = _place(iam)
    group, dev = iam.member()
    vaults, bundles = _clients(dev, server)
    refused(create, vaults, vault, key, b"x")

    iam.policy(f"Allow group {group.name} to manage secret-family in compartment {name}")
    refused(create, vaults, vault, key, b"x")  # no VAULT_CREATE_SECRET yet
    iam.policy(f"Allow group {group.name} to use vaults in compartment {name}")
    refused(create, vaults, vault, key, b"x")  # no KEY_ENCRYPT / KEY_DECRYPT yet
    iam.policy(f"Allow group {group.name} to use keys in compartment {name}")
    made = create(vaults, vault, key, b"mine")
    assert made.compartment_id == compartment
    assert read(bundles, made.id) == b"mine"
    update(vaults, made.id, secret_content=content(b"mine-2"))
    vaults.schedule_secret_deletion(made.id, vm.ScheduleSecretDeletionDetails())


def test_readers_see_only_what_they_are_granted(iam: Iam, server: Server) -> None:
    name, compartment, vault, key = _place(iam)
    admin = vaults_client(server.config, server.url)
    app = create(admin, vault, key, b"app-secret", name=unique_name("app"))
    other = create(admin, vault, key, b"other-secret", name=unique_name("other"))
    group, reader = iam.member()
    vaults, bundles = _clients(reader, server)
    refused(bundles.get_secret_bundle, app.id)

    iam.policy(
        f"Allow group {group.name} to read secret-bundles in compartment {name} "
        f"where target.secret.name = '{app.secret_name}'"
    )
    assert read(bundles, app.id) == b"app-secret"
    by_name = bundles.get_secret_bundle_by_name(app.secret_name, vault.id).data
    assert by_name.secret_id == app.id
    refused(bundles.get_secret_bundle, other.id)
    refused(bundles.get_secret_bundle_by_name, other.secret_name, vault.id)
    # Bundles only: no secret metadata, versions, updates or deletion.
    refused(vaults.get_secret, app.id)
    refused(vaults.list_secrets, compartment)
    refused(vaults.list_secret_versions, app.id)
    refused(vaults.get_secret_version, app.id, 1)
    refused(update, vaults, app.id, description="no")
    refused(vaults.schedule_secret_deletion, app.id, vm.ScheduleSecretDeletionDetails())


def test_verbs_on_secrets_and_versions(iam: Iam, server: Server) -> None:
    name, compartment, vault, key = _place(iam)
    admin = vaults_client(server.config, server.url)
    made = create(admin, vault, key, b"v1")
    update(admin, made.id, secret_content=content(b"v2"))
    update(admin, made.id, secret_content=content(b"v3"))  # version 1 is DEPRECATED
    group, user = iam.member()
    vaults, bundles = _clients(user, server)

    iam.policy(f"Allow group {group.name} to inspect secrets in compartment {name}")
    assert [s.id for s in vaults.list_secrets(compartment).data] == [made.id]
    refused(vaults.get_secret, made.id)

    iam.policy(f"Allow group {group.name} to use secrets in compartment {name}")
    assert vaults.get_secret(made.id).data.id == made.id
    assert update(vaults, made.id, description="updated").description == "updated"
    refused(vaults.schedule_secret_deletion, made.id, vm.ScheduleSecretDeletionDetails())
    # Version deletion needs SECRET_VERSION_DELETE as well as SECRET_UPDATE.
    details = vm.ScheduleSecretVersionDeletionDetails()
    refused(vaults.schedule_secret_version_deletion, made.id, 1, details)
    refused(vaults.list_secret_versions, made.id)
    refused(bundles.list_secret_bundle_versions, made.id)

    iam.policy(f"Allow group {group.name} to manage secret-versions in compartment {name}")
    assert len(vaults.list_secret_versions(made.id).data) == 3
    vaults.schedule_secret_version_deletion(made.id, 1, details)
    iam.policy(f"Allow group {group.name} to inspect secret-bundles in compartment {name}")
    assert len(bundles.list_secret_bundle_versions(made.id).data) == 3
    refused(bundles.get_secret_bundle, made.id)


def test_moving_needs_move_and_update_on_both_sides(iam: Iam, server: Server) -> None:
    name, _, vault, key = _place(iam)
    destination = iam.compartment()
    admin = vaults_client(server.config, server.url)
    made = create(admin, vault, key, b"mobile")
    group, mover = iam.member()
    vaults, _ = _clients(mover, server)
    move = vm.ChangeSecretCompartmentDetails(compartment_id=destination.id)

    iam.policy(f"Allow group {group.name} to manage secrets in compartment {name}")
    refused(vaults.change_secret_compartment, made.id, move)
    iam.policy(f"Allow group {group.name} to {{SECRET_MOVE}} in compartment {destination.name}")
    refused(vaults.change_secret_compartment, made.id, move)  # SECRET_UPDATE missing there
    iam.policy(f"Allow group {group.name} to use secrets in compartment {destination.name}")
    vaults.change_secret_compartment(made.id, move)
    assert admin.get_secret(made.id).data.compartment_id == destination.id
