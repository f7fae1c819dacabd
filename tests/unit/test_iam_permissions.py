"""The permission and operation tables, checked against REFERENCE.md's Vault family table."""

from __future__ import annotations

import itertools

import pytest

from strongroom.iam.operations import OPERATION_PERMISSIONS, permissions_for
from strongroom.iam.permissions import (
    ALL_PERMISSIONS,
    ALL_RESOURCES,
    FAMILIES,
    PERMISSIONS,
    VERBS,
    granted,
    resource_types,
)

# REFERENCE.md "OCI Vault family permissions": the permissions each verb adds, left to right.
VAULT_FAMILY_TABLE: dict[str, tuple[set[str], set[str], set[str], set[str]]] = {
    "vaults": (
        {"VAULT_INSPECT"},
        {"VAULT_READ"},
        {"VAULT_CREATE_KEY", "VAULT_IMPORT_KEY", "VAULT_CREATE_SECRET"},
        {
            "VAULT_CREATE",
            "VAULT_UPDATE",
            "VAULT_DELETE",
            "VAULT_MOVE",
            "VAULT_BACKUP",
            "VAULT_RESTORE",
            "VAULT_REPLICATE",
        },
    ),
    "keys": (
        {"KEY_INSPECT"},
        {"KEY_READ"},
        {"KEY_ENCRYPT", "KEY_DECRYPT", "KEY_EXPORT", "KEY_SIGN", "KEY_VERIFY"},
        {
            "KEY_CREATE",
            "KEY_UPDATE",
            "KEY_ROTATE",
            "KEY_DELETE",
            "KEY_MOVE",
            "KEY_IMPORT",
            "KEY_BACKUP",
            "KEY_RESTORE",
        },
    ),
    "key-delegate": (set(), set(), {"KEY_ASSOCIATE", "KEY_DISASSOCIATE"}, set()),
    "secrets": (
        {"SECRET_INSPECT"},
        {"SECRET_READ"},
        {"SECRET_UPDATE", "SECRET_ROTATE"},
        {"SECRET_CREATE", "SECRET_DELETE", "SECRET_MOVE", "SECRET_REPLICATE_CONFIGURE"},
    ),
    "secret-versions": (
        {"SECRET_VERSION_INSPECT"},
        {"SECRET_VERSION_READ"},
        set(),
        {"SECRET_VERSION_DELETE"},
    ),
    "secret-bundles": ({"SECRET_BUNDLE_INSPECT"}, {"SECRET_BUNDLE_READ"}, set(), set()),
    "secret-replication": (set(), set(), {"SECRET_REPLICATE"}, set()),
}


@pytest.mark.parametrize("resource", sorted(VAULT_FAMILY_TABLE))
def test_vault_family_table_matches_the_reference(resource: str) -> None:
    expected: set[str] = set()
    for verb, added in zip(VERBS, VAULT_FAMILY_TABLE[resource], strict=True):
        expected |= added
        assert granted(verb, resource) == frozenset(expected), (verb, resource)


@pytest.mark.parametrize("resource", sorted(PERMISSIONS))
def test_each_verb_includes_the_ones_to_its_left(resource: str) -> None:
    for weaker, stronger in itertools.pairwise(VERBS):
        assert granted(weaker, resource) <= granted(stronger, resource), (weaker, stronger)
    assert granted("manage", resource), resource


@pytest.mark.parametrize("verb", VERBS)
def test_secret_family_is_secrets_versions_and_bundles_without_replication(verb: str) -> None:
    family = granted(verb, "secret-family")
    parts = ("secrets", "secret-versions", "secret-bundles")
    assert family == frozenset().union(*(granted(verb, p) for p in parts))
    assert "SECRET_REPLICATE" not in family
    assert not family & granted("manage", "secret-replication")


def test_use_secret_family_does_not_grant_replication_but_all_resources_does() -> None:
    assert "SECRET_REPLICATE" not in granted("manage", "secret-family")
    assert "SECRET_REPLICATE" in granted("use", "secret-replication")
    assert "SECRET_REPLICATE" in granted("use", ALL_RESOURCES)


@pytest.mark.parametrize("verb", VERBS)
def test_all_resources_covers_every_type_and_family(verb: str) -> None:
    everything = granted(verb, ALL_RESOURCES)
    for resource in (*PERMISSIONS, *FAMILIES):
        assert granted(verb, resource) <= everything, resource
    assert granted("manage", ALL_RESOURCES) == ALL_PERMISSIONS


def test_vault_family_covers_vaults_keys_and_key_delegate() -> None:
    assert granted("use", "vault-family") == (
        granted("use", "vaults") | granted("use", "keys") | granted("use", "key-delegate")
    )
    assert not any(p.startswith("SECRET") for p in granted("manage", "vault-family"))


def test_inspect_grants_no_key_use() -> None:
    assert granted("inspect", "keys") == {"KEY_INSPECT"}
    assert granted("read", "keys") == {"KEY_INSPECT", "KEY_READ"}
    assert "KEY_ENCRYPT" not in granted("read", "all-resources")


def test_resource_types_lists_every_word_and_unknown_words_fail() -> None:
    words = resource_types()
    assert set(words) == {*PERMISSIONS, *FAMILIES, ALL_RESOURCES}
    assert len(words) == len(set(words))
    with pytest.raises(KeyError):
        granted("use", "kees")
    with pytest.raises(KeyError):
        granted("frob", "keys")


def test_permission_names_are_upper_case_and_unique_per_resource() -> None:
    for permission in ALL_PERMISSIONS:
        assert permission == permission.upper()
        assert permission.replace("_", "").isalpha()


# --- operations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "needed"),
    [
        ("CreateKey", {"KEY_CREATE", "VAULT_CREATE_KEY"}),
        ("Encrypt", {"KEY_ENCRYPT"}),
        ("GenerateDataEncryptionKey", {"KEY_ENCRYPT"}),
        ("Decrypt", {"KEY_DECRYPT"}),
        ("Sign", {"KEY_SIGN"}),
        ("Verify", {"KEY_VERIFY"}),
        ("ExportKey", {"KEY_EXPORT"}),
        ("CreateKeyVersion", {"KEY_ROTATE"}),
        ("EnableKey", {"KEY_UPDATE"}),
        ("DisableKey", {"KEY_UPDATE"}),
        ("UpdateKey", {"KEY_UPDATE"}),
        ("ScheduleKeyDeletion", {"KEY_DELETE"}),
        ("CancelKeyDeletion", {"KEY_DELETE"}),
        ("ListKeys", {"KEY_INSPECT"}),
        ("GetKey", {"KEY_READ"}),
        ("ListVaults", {"VAULT_INSPECT"}),
        ("GetVault", {"VAULT_READ"}),
        ("CreateVault", {"VAULT_CREATE"}),
        ("ChangeKeyCompartment", {"KEY_MOVE"}),
        ("ChangeVaultCompartment", {"VAULT_MOVE"}),
    ],
)
def test_operations_need_the_reference_permissions(operation: str, needed: set[str]) -> None:
    assert set(permissions_for(operation)) == needed


def test_every_operation_permission_exists_and_unknown_operations_are_impossible() -> None:
    for operation, needed in OPERATION_PERMISSIONS.items():
        assert needed, operation
        assert set(needed) <= ALL_PERMISSIONS, operation
    assert permissions_for("FrobnicateKey") == ("UNKNOWN_OPERATION",)
    assert "UNKNOWN_OPERATION" not in ALL_PERMISSIONS


def test_manage_all_resources_covers_every_operation() -> None:
    everything = granted("manage", ALL_RESOURCES)
    for operation, needed in OPERATION_PERMISSIONS.items():
        assert set(needed) <= everything, operation
