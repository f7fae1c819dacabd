"""The storage contract, on every backend: listing vaults, keys and key versions in pages."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from strongroom.domain.key import ProtectionMode, make_shape
from strongroom.domain.lifecycle import State
from strongroom.domain.paging import PageRequest, cut
from strongroom.domain.vault import Vault
from strongroom.storage.unit_of_work import Database
from tests.integration.storage_support import (
    T0,
    key_of,
    ocid,
    vault_of,
    version_of,
)

# --- listing --------------------------------------------------------------------------------------


NAMES = ["delta", "alpha", "golf", "charlie", "foxtrot", "bravo", "echo"]


@pytest.fixture
def listed(db: Database) -> list[Vault]:
    """Seven vaults in one fresh compartment, created a minute apart, names out of order."""
    tenancy = ocid("tenancy")
    vaults = [
        vault_of(tenancy, tenancy, name, T0 + timedelta(minutes=i)) for i, name in enumerate(NAMES)
    ]
    with db.transaction() as tx:
        for vault in vaults:
            tx.vaults.add(vault)
    return vaults


def _walk(
    db: Database, vault: Vault, sort_by: str, descending: bool, limit: int
) -> list[list[str]]:
    """Follow next_offset through every page, as the API does with page tokens."""
    pages: list[list[str]] = []
    offset: int | None = 0
    while offset is not None:
        page = PageRequest(limit=limit, offset=offset, sort_by=sort_by, descending=descending)
        with db.transaction() as tx:
            found = tx.vaults.list(vault.tenancy_id, vault.compartment_id, page)
        assert len(found) <= limit + 1
        window = cut(found, page)
        pages.append([v.display_name for v in window.items])
        offset = window.next_offset
        assert len(pages) < 20
    return pages


@pytest.mark.parametrize(
    ("sort_by", "descending", "expected"),
    [
        ("TIMECREATED", False, NAMES),
        ("TIMECREATED", True, NAMES[::-1]),
        ("DISPLAYNAME", False, sorted(NAMES)),
        ("DISPLAYNAME", True, sorted(NAMES, reverse=True)),
    ],
)
@pytest.mark.parametrize("limit", [1, 3, 7, 100])
def test_list_pages_in_order(
    db: Database,
    listed: list[Vault],
    sort_by: str,
    descending: bool,
    expected: list[str],
    limit: int,
) -> None:
    pages = _walk(db, listed[0], sort_by, descending, limit)
    assert [name for page in pages for name in page] == expected
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages) == max(1, -(-len(NAMES) // limit))


def test_list_windows_by_offset(db: Database, listed: list[Vault]) -> None:
    anchor = listed[0]
    with db.transaction() as tx:
        window = tx.vaults.list(
            anchor.tenancy_id, anchor.compartment_id, PageRequest(limit=2, offset=3)
        )
        beyond = tx.vaults.list(
            anchor.tenancy_id, anchor.compartment_id, PageRequest(limit=2, offset=7)
        )
        last = tx.vaults.list(
            anchor.tenancy_id, anchor.compartment_id, PageRequest(limit=2, offset=6)
        )
    assert [v.display_name for v in window] == NAMES[3:6]  # limit + 1 rows
    assert beyond == []
    assert [v.display_name for v in last] == NAMES[6:]


def test_list_breaks_ties_by_id(db: Database) -> None:
    tenancy = ocid("tenancy")
    same = [vault_of(tenancy, tenancy, "same", T0) for _ in range(4)]
    with db.transaction() as tx:
        for vault in same:
            tx.vaults.add(vault)
    ids = sorted(v.id for v in same)
    for sort_by in ("TIMECREATED", "DISPLAYNAME"):
        with db.transaction() as tx:
            asc = tx.vaults.list(tenancy, tenancy, PageRequest(sort_by=sort_by))
            desc = tx.vaults.list(tenancy, tenancy, PageRequest(sort_by=sort_by, descending=True))
        assert [v.id for v in asc] == ids
        assert [v.id for v in desc] == ids[::-1]


def test_display_name_order_is_case_sensitive_code_point_order(db: Database) -> None:
    """OCI sorts DISPLAYNAME case-sensitively; both backends must agree on one order.

    A PostgreSQL database created with a linguistic collation (en_US.UTF-8) would sort
    "a" before "B" and fail here, while SQLite always compares bytes.
    """
    tenancy = ocid("tenancy")
    names = ["b", "B", "a", "A", "_x", "Zed", "zed", "10", "9", "é"]
    with db.transaction() as tx:
        for name in names:
            tx.vaults.add(vault_of(tenancy, tenancy, name))
        found = tx.vaults.list(tenancy, tenancy, PageRequest(sort_by="DISPLAYNAME", limit=50))
    assert [v.display_name for v in found] == sorted(names)


def test_vault_list_is_scoped_to_tenancy_and_compartment(db: Database) -> None:
    tenancy = ocid("tenancy")
    compartment = ocid("compartment")
    mine = vault_of(tenancy, compartment, "mine")
    others = [
        vault_of(tenancy, tenancy, "root compartment"),
        vault_of(ocid("tenancy"), compartment, "same compartment id, other tenancy"),
        vault_of(tenancy, ocid("compartment"), "other compartment"),
    ]
    with db.transaction() as tx:
        for vault in [mine, *others]:
            tx.vaults.add(vault)
        found = tx.vaults.list(tenancy, compartment, PageRequest())
    assert found == [mine]


def test_key_list_filters(db: Database) -> None:
    vault = vault_of()
    other_compartment = ocid("compartment")
    keys = {
        "aes": key_of(vault, "aes", T0),
        "aes-hsm": key_of(
            vault, "aes-hsm", T0 + timedelta(seconds=1), protection_mode=ProtectionMode.HSM
        ),
        "rsa": key_of(vault, "rsa", T0 + timedelta(seconds=2), shape=make_shape("RSA", 256, None)),
        "p256": key_of(
            vault, "p256", T0 + timedelta(seconds=3), shape=make_shape("ECDSA", 32, None)
        ),
        "p384-off": key_of(
            vault,
            "p384-off",
            T0 + timedelta(seconds=4),
            shape=make_shape("ECDSA", 48, None),
            lifecycle_state=State.DISABLED,
        ),
        "elsewhere": key_of(
            vault, "elsewhere", T0 + timedelta(seconds=5), compartment_id=other_compartment
        ),
    }
    other_vault = vault_of(vault.tenancy_id, vault.compartment_id)
    with db.transaction() as tx:
        tx.vaults.add(vault)
        tx.vaults.add(other_vault)
        for key in keys.values():
            tx.keys.add(key)
        tx.keys.add(key_of(other_vault, "other vault"))

    def names(filters: dict[str, Any], compartment: str = vault.compartment_id) -> list[str]:
        with db.transaction() as tx:
            found = tx.keys.list(vault.id, compartment, PageRequest(), filters)
        return [k.display_name for k in found]

    assert names({}) == ["aes", "aes-hsm", "rsa", "p256", "p384-off"]
    assert names({"protection_mode": "HSM"}) == ["aes-hsm"]
    assert names({"protection_mode": "SOFTWARE"}) == ["aes", "rsa", "p256", "p384-off"]
    assert names({"algorithm": "ECDSA"}) == ["p256", "p384-off"]
    assert names({"algorithm": "ECDSA", "curve_id": "NIST_P384"}) == ["p384-off"]
    assert names({"algorithm": "AES", "length": 32}) == ["aes", "aes-hsm"]
    assert names({"length": 16}) == []
    assert names({"lifecycle_state": "DISABLED"}) == ["p384-off"]
    assert names({"algorithm": "RSA", "protection_mode": "HSM"}) == []
    assert names({}, other_compartment) == ["elsewhere"]
    with db.transaction() as tx:
        assert tx.keys.count_in_vault(vault.id) == 6
        assert tx.keys.count_in_vault(other_vault.id) == 1
        assert tx.keys.count_in_vault(ocid("vault")) == 0


def test_key_versions_list_in_order(db: Database) -> None:
    vault = vault_of()
    key = key_of(vault)
    other = key_of(vault)
    versions = [version_of(key, T0 + timedelta(days=i)) for i in range(5)]
    with db.transaction() as tx:
        tx.vaults.add(vault)
        tx.keys.add(key)
        tx.keys.add(other)
        for version in reversed(versions):
            tx.keys.add_version(version)
        tx.keys.add_version(version_of(other))
    with db.transaction() as tx:
        asc = tx.keys.list_versions(key.id, PageRequest(limit=10))
        desc = tx.keys.list_versions(key.id, PageRequest(limit=2, descending=True))
        second = tx.keys.list_versions(key.id, PageRequest(limit=2, offset=2, descending=True))
    assert asc == versions
    assert [v.id for v in desc] == [v.id for v in versions[::-1][:3]]
    assert [v.id for v in second] == [v.id for v in versions[::-1][2:5]]


# --- referential integrity ------------------------------------------------------------------------


def test_foreign_keys_are_enforced(db: Database) -> None:
    orphan_key = key_of(vault_of())  # its vault was never stored
    with pytest.raises(IntegrityError), db.transaction() as tx:
        tx.keys.add(orphan_key)
    with db.transaction() as tx:
        assert tx.keys.get(orphan_key.id) is None


def test_duplicate_ids_are_refused(db: Database) -> None:
    vault = vault_of()
    with db.transaction() as tx:
        tx.vaults.add(vault)
    with pytest.raises(IntegrityError), db.transaction() as tx:
        tx.vaults.add(replace(vault, display_name="again"))
    with db.transaction() as tx:
        assert tx.vaults.get(vault.id) == vault
