"""Policies through the SDK: validation before storage, permission lists, operations needing
several permissions, deny over allow, where-conditions, names that cannot inject statements,
and dynamic groups."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from oci.identity import models as im
from oci.key_management import models as m

from strongroom.iam.operations import permissions_for
from strongroom.iam.target import Target
from strongroom.services.identity import resource_principals
from tests.integration import iam_support, support
from tests.integration.iam_support import Iam, decrypt, encrypt, invalid, refused, unique
from tests.integration.support import Server, service_error


@pytest.fixture
def iam(server: Server, tmp_path: Path) -> Iterator[Iam]:
    with iam_support.iam_session(server, tmp_path) as helper:
        yield helper


def _create(iam: Iam, *statements: str, name: str | None = None) -> im.Policy:
    details = im.CreatePolicyDetails(
        compartment_id=iam.tenancy,
        name=name or unique("p"),
        description="d",
        statements=list(statements),
    )
    policy: im.Policy = iam.admin.create_policy(details).data
    return policy


# --- validation -------------------------------------------------------------------------------


def test_a_syntax_error_at_create_names_line_column_and_expectation(iam: Iam) -> None:
    group = iam.group()
    before = iam.count_policies()
    error = invalid(
        _create,
        iam,
        f"Allow group {group.name} to read vaults in tenancy",
        f"Allow group {group.name}\n  to frob keys in tenancy",
    )
    assert "statement 2" in error.message
    assert "line 2, column 6" in error.message
    assert "expected" in error.message
    assert "'use'" in error.message
    assert "'frob'" in error.message
    assert iam.count_policies() == before


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("Allow group {g} to frob keys in tenancy", "'inspect'"),
        ("Allow group {g} to use kees in tenancy", "resource type"),
        ("Allow group {g} to {{KEY_FROB}} in tenancy", "permission"),
        ("Allow group {g} to use keys in tenancy where", "variable"),
        ("Allow group {g} to use keys in tenancy where request.operation = Encrypt", "quoted"),
        ("Allow group {g} to use keys in compartment", "compartment name"),
        ("Allow group {g} to use keys in tenancy;", "a word"),
        ("Permit group {g} to use keys in tenancy", "'allow'"),
        ("Allow user {g} to use keys in tenancy", "'group'"),
    ],
)
def test_invalid_statements_are_refused_and_not_stored(
    iam: Iam, statement: str, expected: str
) -> None:
    group = iam.group()
    before = iam.count_policies()
    error = invalid(_create, iam, statement.format(g=group.name))
    assert re.search(r"line \d+, column \d+", error.message), error.message
    assert expected in error.message
    assert iam.count_policies() == before


@pytest.mark.parametrize("statements", [[], [""], ["x" * 2001], ["Allow"] * 51])
def test_statement_lists_must_be_reasonable(iam: Iam, statements: list[str]) -> None:
    before = iam.count_policies()
    invalid(_create, iam, *statements)
    assert iam.count_policies() == before


def test_a_syntax_error_at_update_changes_nothing(iam: Iam) -> None:
    group = iam.group()
    good = f"Allow group {group.name} to read vaults in tenancy"
    policy = iam.policy(good)
    response = iam.admin.get_policy(policy.id)
    error = invalid(
        iam.admin.update_policy,
        policy.id,
        im.UpdatePolicyDetails(
            description="changed", statements=[good, f"Deny group {group.name} to\nuse kees"]
        ),
    )
    assert "statement 2, line 2, column 5" in error.message
    after = iam.admin.get_policy(policy.id)
    assert after.data.statements == [good]
    assert after.data.description == "test policy"
    assert after.headers["etag"] == response.headers["etag"]


def test_policy_life_cycle(iam: Iam) -> None:
    (home,) = iam.compartments("Home")
    group = iam.group()
    statement = f"Allow group {group.name} to inspect vaults in compartment id {home.id}"
    policy = iam.policy(statement, compartment=home.id)
    assert (policy.compartment_id, policy.statements, policy.lifecycle_state) == (
        home.id,
        [statement],
        "ACTIVE",
    )
    assert [p.id for p in iam.admin.list_policies(home.id).data] == [policy.id]
    assert policy.id not in {p.id for p in iam.admin.list_policies(iam.tenancy, limit=1000).data}

    service_error(
        iam.admin.create_policy,
        im.CreatePolicyDetails(
            compartment_id=iam.tenancy, name=policy.name, description="d", statements=[statement]
        ),
        status=409,
        code="Conflict",
    )
    etag = iam.admin.get_policy(policy.id).headers["etag"]
    service_error(
        iam.admin.update_policy,
        policy.id,
        im.UpdatePolicyDetails(description="x"),
        if_match="not-the-etag",
        status=412,
    )
    updated = iam.admin.update_policy(
        policy.id, im.UpdatePolicyDetails(description="new"), if_match=etag
    ).data
    assert (updated.description, updated.statements) == ("new", [statement])

    assert iam.admin.delete_policy(policy.id).status == 204
    refused(iam.admin.get_policy, policy.id)
    assert iam.admin.list_policies(home.id).data == []
    # The name is free again.
    again = _create(iam, statement, name=policy.name)
    iam.admin.delete_policy(again.id)


# --- permissions ------------------------------------------------------------------------------


@pytest.fixture
def setup(iam: Iam) -> tuple[im.Compartment, m.Vault, m.Key, im.Group, iam_support.Person]:
    """A compartment with a vault and a key, and a fresh group with one member."""
    (home,) = iam.compartments("Home")
    vault = iam.vault(home.id)
    key = iam.key(vault)
    group, dev = iam.member()
    return home, vault, key, group, dev


Setup = tuple[im.Compartment, m.Vault, m.Key, im.Group, iam_support.Person]


def test_an_explicit_permission_list(iam: Iam, setup: Setup) -> None:
    home, vault, key, group, dev = setup
    iam.policy(f"Allow group {group.name} to {{KEY_ENCRYPT}} in compartment id {home.id}")
    crypto = dev.crypto(vault)
    ciphertext = encrypt(crypto, key)
    refused(decrypt, crypto, key, ciphertext)
    refused(dev.management(vault).get_key, key.id)
    data_key = crypto.generate_data_encryption_key(
        m.GenerateKeyDetails(key_id=key.id, include_plaintext_key=True, key_shape=key.key_shape)
    ).data
    assert data_key.ciphertext


def test_an_operation_needing_several_permissions_needs_all(iam: Iam, setup: Setup) -> None:
    home, vault, _, group, dev = setup
    kms = dev.management(vault)
    details = support.key_details(home.id, "AES", 32, name="dev-key")
    iam.policy(f"Allow group {group.name} to manage keys in compartment id {home.id}")
    refused(kms.create_key, details)
    # read vaults adds VAULT_READ but not VAULT_CREATE_KEY.
    iam.policy(f"Allow group {group.name} to read vaults in compartment id {home.id}")
    refused(kms.create_key, details)
    iam.policy(f"Allow group {group.name} to use vaults in compartment id {home.id}")
    created = kms.create_key(details).data
    assert created.compartment_id == home.id
    encrypt(dev.crypto(vault), created)


def test_the_second_permission_alone_is_not_enough(iam: Iam, setup: Setup) -> None:
    home, vault, _, group, dev = setup
    kms = dev.management(vault)
    details = support.key_details(home.id, "AES", 32)
    iam.policy(f"Allow group {group.name} to use vaults in compartment id {home.id}")
    refused(kms.create_key, details)
    iam.policy(f"Allow group {group.name} to {{KEY_CREATE}} in compartment id {home.id}")
    assert kms.create_key(details).data.id


def test_deny_beats_allow_and_takes_effect_at_once(iam: Iam, setup: Setup) -> None:
    home, vault, key, group, dev = setup
    policy = iam.policy(f"Allow group {group.name} to manage keys in tenancy")
    crypto = dev.crypto(vault)
    ciphertext = encrypt(crypto, key)
    assert decrypt(crypto, key, ciphertext) == b"hello"
    iam.admin.update_policy(
        policy.id,
        im.UpdatePolicyDetails(
            statements=[
                f"Allow group {group.name} to manage keys in tenancy",
                f"Deny group {group.name} to {{KEY_DECRYPT}} in compartment id {home.id}",
            ]
        ),
    )
    encrypt(crypto, key)
    refused(decrypt, crypto, key, ciphertext)
    # A deny in another policy, on the parent, for any-user.
    iam.policy(f"Deny any-user to {{KEY_ENCRYPT}} in compartment id {home.id}")
    refused(encrypt, crypto, key)
    assert dev.management(vault).get_key(key.id).data.id == key.id


def test_deleting_a_policy_removes_its_grant_at_once(iam: Iam, setup: Setup) -> None:
    home, vault, key, group, dev = setup
    policy = iam.policy(f"Allow group {group.name} to use keys in compartment id {home.id}")
    crypto = dev.crypto(vault)
    encrypt(crypto, key)
    iam.admin.delete_policy(policy.id)
    refused(encrypt, crypto, key)


def test_renaming_a_compartment_keeps_the_grants_that_name_its_path(iam: Iam) -> None:
    """Names are bound to OCIDs when the policy is written: the grant follows the compartment,
    not its name, and a new compartment under the old name gets nothing."""
    apps, prod = iam.compartments("Apps", "Prod")
    vault = iam.vault(prod.id)
    key = iam.key(vault)
    group, dev = iam.member()
    iam.policy(f"Allow group {group.name} to use keys in compartment {apps.name}:Prod")
    crypto = dev.crypto(vault)
    encrypt(crypto, key)
    iam.admin.update_compartment(prod.id, im.UpdateCompartmentDetails(name="Production"))
    encrypt(crypto, key)
    impostor = iam.compartment(apps.id, "Prod")
    other_vault = iam.vault(impostor.id)
    refused(encrypt, dev.crypto(other_vault), iam.key(other_vault))


def test_a_policy_naming_an_unknown_group_is_refused(iam: Iam) -> None:
    group = iam.group()
    ghost = unique("ghost")
    good = f"Allow group {group.name} to read vaults in tenancy"
    bad = f"Allow group {ghost} to read vaults in tenancy"
    before = iam.count_policies()
    error = invalid(_create, iam, good, bad)
    assert (
        error.message
        == f'Policy statement 2 "{bad}" names the group {ghost!r}, which does not exist'
    )
    assert iam.count_policies() == before
    policy = iam.policy(good)
    etag = iam.admin.get_policy(policy.id).headers["etag"]
    error = invalid(
        iam.admin.update_policy, policy.id, im.UpdatePolicyDetails(statements=[bad, good])
    )
    assert f'statement 1 "{bad}" names the group {ghost!r}' in error.message
    after = iam.admin.get_policy(policy.id)
    assert (after.data.statements, after.headers["etag"]) == ([good], etag)


def test_a_group_recreated_under_the_same_name_does_not_inherit_grants(
    iam: Iam, setup: Setup
) -> None:
    home, vault, key, group, dev = setup
    iam.policy(f"Allow group {group.name} to use keys in compartment id {home.id}")
    crypto = dev.crypto(vault)
    encrypt(crypto, key)
    (membership,) = iam.admin.list_user_group_memberships(iam.tenancy, user_id=dev.id).data
    iam.admin.remove_user_from_group(membership.id)
    iam.admin.delete_group(group.id)
    again = iam.group(name=group.name)
    iam.add(dev, again)
    refused(encrypt, crypto, key)


# --- conditions -------------------------------------------------------------------------------


def test_condition_on_the_target_key(iam: Iam, setup: Setup) -> None:
    _home, vault, key, group, dev = setup
    other = iam.key(vault)
    iam.policy(f"Allow group {group.name} to use keys in tenancy where target.key.id = '{key.id}'")
    crypto = dev.crypto(vault)
    encrypt(crypto, key)
    refused(encrypt, crypto, other)


def test_pattern_conditions_on_ids(iam: Iam, setup: Setup) -> None:
    _home, vault, key, group, dev = setup
    other = iam.key(vault)
    crypto = dev.crypto(vault)
    iam.policy(
        f"Allow group {group.name} to use keys in tenancy where target.key.id = /*{key.id[-12:]}/"
    )
    encrypt(crypto, key)
    refused(encrypt, crypto, other)
    iam.policy(
        f"Allow group {group.name} to use keys in tenancy "
        f"where target.vault.id = /{vault.id[:30].upper()}*/"
    )
    encrypt(crypto, other)


def test_condition_on_the_operation(iam: Iam, setup: Setup) -> None:
    _home, vault, key, group, dev = setup
    crypto = dev.crypto(vault)
    iam.policy(
        f"Allow group {group.name} to use keys in tenancy where request.operation = 'Encrypt'"
    )
    ciphertext = encrypt(crypto, key)
    refused(decrypt, crypto, key, ciphertext)
    refused(dev.management(vault).get_key, key.id)
    iam.policy(
        f"Allow group {group.name} to use keys in tenancy "
        "where any {request.operation = 'decrypt', request.permission = 'KEY_READ'}"
    )
    assert decrypt(crypto, key, ciphertext) == b"hello"
    assert dev.management(vault).get_key(key.id).data.id == key.id


def test_conditions_on_the_caller(iam: Iam, setup: Setup) -> None:
    home, vault, key, group, dev = setup
    outsider = iam.person()
    iam.policy(
        f"Allow any-user to use keys in compartment id {home.id} where request.user.id = '{dev.id}'"
    )
    encrypt(dev.crypto(vault), key)
    refused(encrypt, outsider.crypto(vault), key)
    iam.policy(
        f"Allow any-user to use keys in compartment id {home.id} "
        f"where all {{request.groups.id in ('{group.id}'), request.region = 'us-ashburn-1'}}"
    )
    teammate = iam.person(group)
    encrypt(teammate.crypto(vault), key)
    refused(encrypt, outsider.crypto(vault), key)


def test_a_condition_on_a_variable_the_request_lacks_is_false(iam: Iam, setup: Setup) -> None:
    home, vault, key, group, dev = setup
    crypto = dev.crypto(vault)
    iam.policy(f"Allow group {group.name} to use keys in tenancy where target.secret.name = 'x'")
    refused(encrypt, crypto, key)
    iam.policy(f"Allow group {group.name} to use keys in tenancy where target.secret.name != 'x'")
    refused(encrypt, crypto, key)
    # ... and a Deny with such a condition does not apply either.
    iam.policy(
        f"Allow group {group.name} to use keys in compartment id {home.id}",
        f"Deny group {group.name} to use keys in tenancy where target.secret.name = 'x'",
        f"Deny group {group.name} to use keys in tenancy where target.secret.name != 'x'",
    )
    encrypt(crypto, key)


# --- names cannot inject statements --------------------------------------------------------


INJECTIONS = [
    "Devs to manage all-resources in tenancy",
    "Devs to manage all-resources in tenancy //",
    "Dev Team",
    "it's",
    "'Devs'",
    'a"b',
    "Devs,Admins",
    "Devs\nAllow",
    "{KEY_ENCRYPT}",
    "a/b*",
    "to",
    "any-user",
    "tenancy",
    "",
]


@pytest.mark.parametrize("name", INJECTIONS)
def test_names_that_could_change_a_statement_are_refused(iam: Iam, name: str) -> None:
    groups_before = len(iam.admin.list_groups(iam.tenancy, limit=1000).data)
    invalid(
        iam.admin.create_group,
        im.CreateGroupDetails(compartment_id=iam.tenancy, name=name, description="d"),
    )
    invalid(
        iam.admin.create_dynamic_group,
        im.CreateDynamicGroupDetails(
            compartment_id=iam.tenancy,
            name=name,
            description="d",
            matching_rule="resource.type = 'vaultsecret'",
        ),
    )
    invalid(
        iam.admin.create_user,
        im.CreateUserDetails(compartment_id=iam.tenancy, name=name, description="d"),
    )
    assert len(iam.admin.list_groups(iam.tenancy, limit=1000).data) == groups_before


def test_every_allowed_name_character_works_unquoted_in_a_statement(iam: Iam, setup: Setup) -> None:
    home, vault, key, _, _ = setup
    group = iam.group(name=unique("dev+ops.team_1@example-co"))
    dev = iam.person(group)
    iam.policy(f"Allow group {group.name} to use keys in compartment id {home.id}")
    encrypt(dev.crypto(vault), key)


# --- dynamic groups --------------------------------------------------------------------------


def test_dynamic_group_life_cycle(iam: Iam) -> None:
    (home,) = iam.compartments("Home")
    rule = f"Any {{resource.type = 'vaultsecret', resource.compartment.id = '{home.id}'}}"
    response = iam.admin.create_dynamic_group(
        im.CreateDynamicGroupDetails(
            compartment_id=iam.tenancy, name=unique("dg"), description="d", matching_rule=rule
        )
    )
    group = response.data
    assert (group.matching_rule, group.lifecycle_state, group.compartment_id) == (
        rule,
        "ACTIVE",
        iam.tenancy,
    )
    assert group.id.startswith("ocid1.dynamicgroup.")
    assert iam.admin.get_dynamic_group(group.id).data.name == group.name
    listed = iam.admin.list_dynamic_groups(iam.tenancy, limit=1000).data
    assert group.id in {g.id for g in listed}

    service_error(
        iam.admin.create_dynamic_group,
        im.CreateDynamicGroupDetails(
            compartment_id=iam.tenancy, name=group.name, description="d", matching_rule=rule
        ),
        status=409,
        code="Conflict",
    )

    new_rule = "resource.type = 'vaultsecret'"
    updated = iam.admin.update_dynamic_group(
        group.id, im.UpdateDynamicGroupDetails(description="new", matching_rule=new_rule)
    ).data
    assert (updated.description, updated.matching_rule) == ("new", new_rule)
    invalid(
        iam.admin.update_dynamic_group,
        group.id,
        im.UpdateDynamicGroupDetails(matching_rule="resource.type ="),
    )
    assert iam.admin.get_dynamic_group(group.id).data.matching_rule == new_rule

    policy = iam.policy(f"Allow dynamic-group {group.name} to use keys in compartment id {home.id}")
    assert policy.statements

    assert iam.admin.delete_dynamic_group(group.id).status == 204
    refused(iam.admin.get_dynamic_group, group.id)
    assert group.id not in {
        g.id for g in iam.admin.list_dynamic_groups(iam.tenancy, limit=1000).data
    }


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "resource.type",
        "resource.type = vaultsecret",
        "Any {resource.type = 'vaultsecret',}",
        "Any {resource.type = 'vaultsecret'",
        "request.operation = 'Encrypt'",
        "Allow group Devs to use keys in tenancy",
    ],
)
def test_invalid_matching_rules_are_refused(iam: Iam, rule: str) -> None:
    before = len(iam.admin.list_dynamic_groups(iam.tenancy, limit=1000).data)
    error = invalid(
        iam.admin.create_dynamic_group,
        im.CreateDynamicGroupDetails(
            compartment_id=iam.tenancy, name=unique("dg"), description="d", matching_rule=rule
        ),
    )
    assert "matchingRule" in error.message or "rule" in error.message.lower()
    assert len(iam.admin.list_dynamic_groups(iam.tenancy, limit=1000).data) == before


# --- where Strongroom asks for more than REFERENCE.md's operation table ----------------------


def test_list_keys_needs_only_key_inspect(iam: Iam, setup: Setup) -> None:
    home, vault, key, group, dev = setup
    iam.policy(f"Allow group {group.name} to inspect keys in compartment id {home.id}")
    assert [k.id for k in dev.management(vault).list_keys(home.id).data] == [key.id]


def test_create_key_needs_only_key_create_and_vault_create_key(iam: Iam, setup: Setup) -> None:
    home, vault, _, group, dev = setup
    iam.policy(
        f"Allow group {group.name} to {{KEY_CREATE, VAULT_CREATE_KEY}} in compartment id {home.id}"
    )
    assert dev.management(vault).create_key(support.key_details(home.id, "AES", 32)).data.id


def test_resources_matching_a_rule_act_with_the_dynamic_groups_grants(
    iam: Iam, setup: Setup
) -> None:
    home, _, key, _, _ = setup
    elsewhere = iam.compartment()
    group = iam.admin.create_dynamic_group(
        im.CreateDynamicGroupDetails(
            compartment_id=iam.tenancy,
            name=unique("secrets"),
            description="secrets of Home",
            matching_rule=(
                f"All {{resource.type = 'vaultsecret', resource.compartment.id = '{home.id}'}}"
            ),
        )
    ).data
    iam.policy(f"Allow dynamic-group {group.name} to use keys in compartment id {home.id}")
    deps = iam.server.deps
    secret = "ocid1.vaultsecret.oc1.us-ashburn-1..aaaaaaaa" + "s" * 52

    member = resource_principals.resource_principal(
        deps, iam.tenancy, "vaultsecret", secret, home.id
    )
    assert member.dynamic_group_ids == {group.id}
    assert member.principal_type == "resource"
    target = Target(iam.tenancy, home.id, vault_id=key.vault_id, key_id=key.id)
    permissions = permissions_for("Encrypt")
    assert deps.authorizer.is_allowed(member, "Encrypt", permissions, target)
    assert not deps.authorizer.is_allowed(member, "ScheduleKeyDeletion", ("KEY_DELETE",), target)

    for resource_type, compartment in (("vaultsecret", elsewhere.id), ("instance", home.id)):
        outsider = resource_principals.resource_principal(
            deps, iam.tenancy, resource_type, secret, compartment
        )
        assert outsider.dynamic_group_ids == frozenset()
        assert not deps.authorizer.is_allowed(outsider, "Encrypt", permissions, target)
