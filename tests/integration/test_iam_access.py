"""Users, groups, memberships and API keys through the SDK, and what policies let them do.

A second user signs with its own API key; the KMS clients it builds are refused (404
NotAuthorizedOrNotFound) until a policy for one of its groups grants access, and access
follows resources as they move between compartments.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import oci
import pytest
from oci.identity import models as im
from oci.key_management import models as m

from tests.integration import iam_support, support
from tests.integration.iam_support import (
    Iam,
    decrypt,
    encrypt,
    refused,
    unauthenticated,
)
from tests.integration.support import Server, service_error

MISSING_KEY = "ocid1.key.oc1.us-ashburn-1..aaaaaaaa" + "m" * 52
MISSING_VAULT = "ocid1.vault.oc1.us-ashburn-1..aaaaaaaa" + "m" * 52


@pytest.fixture
def iam(server: Server, tmp_path: Path) -> Iterator[Iam]:
    with iam_support.iam_session(server, tmp_path) as helper:
        yield helper


def test_a_new_user_is_refused_until_a_policy_grants_access(iam: Iam) -> None:
    apps, prod = iam.compartments("Apps", "Prod")
    vault = iam.vault(prod.id)
    key = iam.key(vault)
    group, dev = iam.member()
    crypto, kms, vaults = dev.crypto(vault), dev.management(vault), dev.vaults()

    refused(encrypt, crypto, key)
    refused(kms.get_key, key.id)
    refused(kms.list_keys, prod.id)
    refused(vaults.get_vault, vault.id)
    refused(vaults.list_vaults, prod.id)

    iam.policy(f"Allow group {group.name} to use keys in compartment {apps.name}:Prod")
    ciphertext = encrypt(crypto, key, b"secret")
    assert decrypt(crypto, key, ciphertext) == b"secret"
    assert kms.get_key(key.id).data.id == key.id  # use includes read
    # ... but nothing more: no key management, and nothing on vaults.
    refused(kms.create_key_version, key.id)
    refused(kms.disable_key, key.id)
    refused(vaults.get_vault, vault.id)
    admin_crypto = support.crypto_client(iam.server.config, vault)
    assert decrypt(admin_crypto, key, ciphertext) == b"secret"


def test_a_grant_covers_child_compartments_but_not_parents_or_siblings(iam: Iam) -> None:
    apps, prod, eu = iam.compartments("Apps", "Prod", "EU")
    sibling = iam.compartment(apps.id, "Dev")
    vault = iam.vault(apps.id)
    keys = {c.name: iam.key(vault, c.id) for c in (apps, prod, eu, sibling)}
    outside = iam.key(vault, iam.tenancy)
    group, dev = iam.member()
    iam.policy(f"Allow group {group.name} to use keys in compartment {apps.name}:Prod")
    crypto = dev.crypto(vault)

    encrypt(crypto, keys["Prod"])
    encrypt(crypto, keys["EU"])
    refused(encrypt, crypto, keys[apps.name])
    refused(encrypt, crypto, keys["Dev"])
    refused(encrypt, crypto, outside)

    iam.policy(f"Allow group {group.name} to use keys in compartment {apps.name}")
    encrypt(crypto, keys[apps.name])
    encrypt(crypto, keys["Dev"])
    refused(encrypt, crypto, outside)


def test_policies_attached_to_a_compartment_use_paths_relative_to_it(iam: Iam) -> None:
    apps, prod = iam.compartments("Apps", "Prod")
    vault = iam.vault(prod.id)
    key = iam.key(vault)
    group, dev = iam.member()
    iam.policy(f"Allow group {group.name} to use keys in compartment Prod", compartment=apps.id)
    encrypt(dev.crypto(vault), key)


def test_groups_by_id_and_several_groups(iam: Iam) -> None:
    (home,) = iam.compartments("Home")
    vault = iam.vault(home.id)
    key = iam.key(vault)
    first, second, other = iam.group(), iam.group(), iam.group()
    dev = iam.person(first, second)
    iam.policy(f"Allow group id {second.id} to {{KEY_ENCRYPT}} in compartment id {home.id}")
    iam.policy(f"Allow group {other.name}, '{first.name}' to {{KEY_DECRYPT}} in tenancy")
    crypto = dev.crypto(vault)
    assert decrypt(crypto, key, encrypt(crypto, key)) == b"hello"


def test_moving_a_key_out_of_the_granted_compartment_removes_access(iam: Iam) -> None:
    apps, prod = iam.compartments("Apps", "Prod")
    vault = iam.vault(prod.id)
    key = iam.key(vault)
    group, dev = iam.member()
    iam.policy(f"Allow group {group.name} to use keys in compartment {apps.name}:Prod")
    crypto = dev.crypto(vault)
    encrypt(crypto, key)
    admin_kms = support.management_client(iam.server.config, vault)

    moved = admin_kms.change_key_compartment(
        key.id, m.ChangeKeyCompartmentDetails(compartment_id=iam.tenancy)
    )
    assert moved.status == 200
    assert admin_kms.get_key(key.id).data.compartment_id == iam.tenancy
    refused(encrypt, crypto, key)
    refused(dev.management(vault).get_key, key.id)

    admin_kms.change_key_compartment(key.id, m.ChangeKeyCompartmentDetails(compartment_id=apps.id))
    refused(encrypt, crypto, key)  # Apps is the parent of the granted Prod
    iam.policy(f"Allow group {group.name} to use keys in compartment {apps.name}")
    encrypt(crypto, key)


def test_moving_a_key_back_restores_access(iam: Iam) -> None:
    apps, prod = iam.compartments("Apps", "Prod")
    vault = iam.vault(prod.id)
    key = iam.key(vault)
    group, dev = iam.member()
    iam.policy(f"Allow group {group.name} to use keys in compartment {apps.name}:Prod")
    crypto = dev.crypto(vault)
    admin_kms = support.management_client(iam.server.config, vault)
    for _ in range(2):
        ciphertext = encrypt(crypto, key)
        admin_kms.change_key_compartment(
            key.id, m.ChangeKeyCompartmentDetails(compartment_id=apps.id)
        )
        refused(decrypt, crypto, key, ciphertext)
        admin_kms.change_key_compartment(
            key.id, m.ChangeKeyCompartmentDetails(compartment_id=prod.id)
        )
        assert decrypt(crypto, key, ciphertext) == b"hello"


def test_moving_a_vault_out_and_back(iam: Iam) -> None:
    apps, prod = iam.compartments("Apps", "Prod")
    vault = iam.vault(prod.id)
    key = iam.key(vault)
    group, dev = iam.member()
    iam.policy(
        f"Allow group {group.name} to read vaults in compartment {apps.name}:Prod",
        f"Allow group {group.name} to use keys in compartment {apps.name}:Prod",
    )
    vaults = dev.vaults()
    assert vaults.get_vault(vault.id).data.id == vault.id

    iam.admin_vaults.change_vault_compartment(
        vault.id, m.ChangeVaultCompartmentDetails(compartment_id=iam.tenancy)
    )
    refused(vaults.get_vault, vault.id)
    assert vault.id not in {v.id for v in iam.admin_vaults.list_vaults(prod.id).data}
    # Keys have compartments of their own: moving the vault does not move them.
    assert (
        support.management_client(iam.server.config, vault).get_key(key.id).data.compartment_id
        == prod.id
    )
    encrypt(dev.crypto(vault), key)

    iam.admin_vaults.change_vault_compartment(
        vault.id, m.ChangeVaultCompartmentDetails(compartment_id=prod.id)
    )
    assert vaults.get_vault(vault.id).data.compartment_id == prod.id


def test_moving_needs_the_move_permission_in_the_destination_too(iam: Iam) -> None:
    apps, prod = iam.compartments("Apps", "Prod")
    elsewhere = iam.compartment()
    vault = iam.vault(prod.id)
    key = iam.key(vault)
    group, dev = iam.member()
    iam.policy(f"Allow group {group.name} to manage keys in compartment {apps.name}")
    kms = dev.management(vault)
    refused(
        kms.change_key_compartment,
        key.id,
        m.ChangeKeyCompartmentDetails(compartment_id=elsewhere.id),
    )
    kms.change_key_compartment(key.id, m.ChangeKeyCompartmentDetails(compartment_id=apps.id))
    assert kms.get_key(key.id).data.compartment_id == apps.id


def test_api_key_rotation(iam: Iam) -> None:
    (home,) = iam.compartments("Home")
    group, dev = iam.member()
    iam.policy(f"Allow group {group.name} to inspect vaults in compartment id {home.id}")
    assert dev.vaults().list_vaults(home.id).data == []

    fingerprint, key_file = iam.upload_key(dev.id)
    rotated = dev.signing_as(fingerprint, key_file)
    assert rotated.vaults().list_vaults(home.id).data == []
    assert dev.vaults().list_vaults(home.id).data == []
    listed = iam.admin.list_api_keys(dev.id).data
    assert {k.fingerprint for k in listed} == {dev.fingerprint, fingerprint}
    assert all(k.lifecycle_state == "ACTIVE" and k.user_id == dev.id for k in listed)

    assert iam.admin.delete_api_key(dev.id, dev.fingerprint).status == 204
    unauthenticated(dev.vaults().list_vaults, home.id)
    assert rotated.vaults().list_vaults(home.id).data == []
    assert [k.fingerprint for k in iam.admin.list_api_keys(dev.id).data] == [fingerprint]
    refused(iam.admin.delete_api_key, dev.id, dev.fingerprint)


def test_api_key_limits_and_duplicates(iam: Iam) -> None:
    dev = iam.person()
    _, public_pem = iam_support.write_private_key(iam.workdir)
    iam.admin.upload_api_key(dev.id, im.CreateApiKeyDetails(key=public_pem))
    service_error(
        iam.admin.upload_api_key,
        dev.id,
        im.CreateApiKeyDetails(key=public_pem),
        status=409,
        code="Conflict",
    )
    iam.upload_key(dev.id)
    error = iam_support.invalid(
        iam.admin.upload_api_key, dev.id, im.CreateApiKeyDetails(key=_pem(iam))
    )
    assert "3" in error.message
    for bad in ("", "not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"):
        iam_support.invalid(iam.admin.upload_api_key, dev.id, im.CreateApiKeyDetails(key=bad))
    assert len(iam.admin.list_api_keys(dev.id).data) == 3


def _pem(iam: Iam) -> str:
    return iam_support.write_private_key(iam.workdir)[1]


def test_removing_a_user_from_the_group_is_effective_at_once(iam: Iam) -> None:
    (home,) = iam.compartments("Home")
    vault = iam.vault(home.id)
    key = iam.key(vault)
    group, dev = iam.member()
    iam.policy(f"Allow group {group.name} to use keys in compartment id {home.id}")
    crypto = dev.crypto(vault)
    ciphertext = encrypt(crypto, key)

    (membership,) = iam.admin.list_user_group_memberships(iam.tenancy, user_id=dev.id).data
    assert (membership.group_id, membership.user_id) == (group.id, dev.id)
    assert iam.admin.get_user_group_membership(membership.id).data.id == membership.id
    assert iam.admin.remove_user_from_group(membership.id).status == 204
    refused(decrypt, crypto, key, ciphertext)
    refused(encrypt, crypto, key)
    assert iam.admin.list_user_group_memberships(iam.tenancy, group_id=group.id).data == []

    iam.add(dev, group)
    assert decrypt(crypto, key, ciphertext) == b"hello"


def test_group_membership_rules(iam: Iam) -> None:
    group, dev = iam.member()
    service_error(iam.add, dev, group, status=409, code="Conflict")
    service_error(iam.admin.delete_group, group.id, status=409, code="IncorrectState")
    (membership,) = iam.admin.list_user_group_memberships(iam.tenancy, group_id=group.id).data
    iam.admin.remove_user_from_group(membership.id)
    assert iam.admin.delete_group(group.id).status == 204
    refused(iam.admin.get_group, group.id)


def test_deleting_a_user_makes_its_signed_requests_fail(iam: Iam) -> None:
    (home,) = iam.compartments("Home")
    group, dev = iam.member()
    iam.policy(f"Allow group {group.name} to inspect vaults in compartment id {home.id}")
    vaults = dev.vaults()
    assert vaults.list_vaults(home.id).data == []
    assert iam.admin.delete_user(dev.id).status == 204
    unauthenticated(vaults.list_vaults, home.id)
    assert iam.admin.get_user(dev.id).data.lifecycle_state == "DELETED"
    assert iam.admin.list_user_group_memberships(iam.tenancy, user_id=dev.id).data == []
    assert iam.admin.list_api_keys(dev.id).data == []


def test_a_user_cannot_delete_itself(iam: Iam) -> None:
    service_error(
        iam.admin.delete_user, iam.server.config["user"], status=409, code="IncorrectState"
    )


def test_a_signature_naming_another_tenancy_is_refused(iam: Iam) -> None:
    group, dev = iam.member()
    iam.policy(f"Allow group {group.name} to inspect vaults in tenancy")
    assert isinstance(dev.vaults().list_vaults(iam.tenancy).data, list)
    foreign = "ocid1.tenancy.oc1..aaaaaaaa" + "f" * 52
    for config in (
        dict(dev.config, tenancy=foreign),
        dict(iam.server.config, tenancy=foreign),
    ):
        client = oci.key_management.KmsVaultClient(
            config, service_endpoint=iam.server.url, retry_strategy=support.NO_RETRY
        )
        unauthenticated(client.list_vaults, iam.tenancy)
        unauthenticated(client.list_vaults, foreign)


def test_users_and_groups_are_read_back_and_updated(iam: Iam) -> None:
    group = iam.group()
    dev = iam.person(group)
    got = iam.admin.get_user(dev.id).data
    assert (got.name, got.lifecycle_state, got.compartment_id) == (
        dev.user.name,
        "ACTIVE",
        iam.tenancy,
    )
    assert dev.id in {u.id for u in iam.admin.list_users(iam.tenancy, limit=1000).data}
    assert group.id in {g.id for g in iam.admin.list_groups(iam.tenancy, limit=1000).data}
    updated = iam.admin.update_user(dev.id, im.UpdateUserDetails(description="new")).data
    assert updated.description == "new"
    regrouped = iam.admin.update_group(group.id, im.UpdateGroupDetails(description="g2")).data
    assert regrouped.description == "g2"
    assert iam.admin.get_group(group.id).data.description == "g2"


def test_duplicate_user_and_group_names_conflict(iam: Iam) -> None:
    group = iam.group()
    dev = iam.person()
    service_error(
        iam.admin.create_group,
        im.CreateGroupDetails(compartment_id=iam.tenancy, name=group.name.upper(), description="d"),
        status=409,
        code="Conflict",
    )
    service_error(
        iam.admin.create_user,
        im.CreateUserDetails(compartment_id=iam.tenancy, name=dev.user.name, description="d"),
        status=409,
        code="Conflict",
    )


def test_a_granted_user_cannot_escalate(iam: Iam) -> None:
    group, dev = iam.member()
    iam.policy(f"Allow group {group.name} to use keys in tenancy")
    identity = dev.identity()
    admins = [
        g for g in iam.admin.list_groups(iam.tenancy, limit=1000).data if g.name == "Administrators"
    ]
    refused(
        identity.create_policy,
        im.CreatePolicyDetails(
            compartment_id=iam.tenancy,
            name=iam_support.unique("escalate"),
            description="x",
            statements=[f"Allow group {group.name} to manage all-resources in tenancy"],
        ),
    )
    refused(
        identity.add_user_to_group,
        im.AddUserToGroupDetails(user_id=dev.id, group_id=admins[0].id),
    )
    refused(
        identity.upload_api_key, iam.server.config["user"], im.CreateApiKeyDetails(key=_pem(iam))
    )
    refused(identity.list_policies, iam.tenancy)
    refused(
        dev.vaults().create_vault,
        m.CreateVaultDetails(compartment_id=iam.tenancy, display_name="x", vault_type="DEFAULT"),
    )


# --- forbidden looks exactly like missing ------------------------------------------------------


def _same(missing: oci.exceptions.ServiceError, forbidden: oci.exceptions.ServiceError) -> None:
    assert (missing.status, missing.code, missing.message) == (
        forbidden.status,
        forbidden.code,
        forbidden.message,
    )
    assert missing.status == 404
    assert missing.code == "NotAuthorizedOrNotFound"


def test_forbidden_resources_look_exactly_like_missing_ones(iam: Iam) -> None:
    (home,) = iam.compartments("Home")
    vault = iam.vault(home.id)
    key = iam.key(vault)
    group, dev = iam.member()
    crypto, kms, vaults = dev.crypto(vault), dev.management(vault), dev.vaults()

    missing_key = m.Key(id=MISSING_KEY)
    _same(refused(encrypt, crypto, missing_key), refused(encrypt, crypto, key))
    _same(refused(kms.get_key, MISSING_KEY), refused(kms.get_key, key.id))
    _same(refused(kms.create_key_version, MISSING_KEY), refused(kms.create_key_version, key.id))
    _same(refused(vaults.get_vault, MISSING_VAULT), refused(vaults.get_vault, vault.id))

    identity = dev.identity()
    missing_compartment = "ocid1.compartment.oc1.us-ashburn-1..aaaaaaaa" + "m" * 52
    _same(
        refused(identity.get_compartment, missing_compartment),
        refused(identity.get_compartment, home.id),
    )
    missing_user = "ocid1.user.oc1.us-ashburn-1..aaaaaaaa" + "m" * 52
    _same(refused(identity.get_user, missing_user), refused(identity.get_user, dev.id))

    # With a grant for the key's compartment, a missing key still looks the same.
    iam.policy(f"Allow group {group.name} to use keys in compartment id {home.id}")
    encrypt(crypto, key)
    _same(refused(encrypt, crypto, missing_key), refused(kms.create_key_version, key.id))


def test_a_key_through_another_vaults_endpoint_looks_missing(iam: Iam) -> None:
    group, dev = iam.member()
    iam.policy(f"Allow group {group.name} to use keys in tenancy")
    first, second = iam.vault(iam.tenancy), iam.vault(iam.tenancy)
    key = iam.key(first)
    encrypt(dev.crypto(first), key)
    _same(
        refused(encrypt, dev.crypto(second), m.Key(id=MISSING_KEY)),
        refused(encrypt, dev.crypto(second), key),
    )
