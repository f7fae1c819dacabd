"""OCIDs: generation with injected randomness, parsing and validation."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.domain.errors import InvalidParameter
from strongroom.domain.ids import new_ocid, ocid_type, require_ocid


def _counting(n: int) -> bytes:
    return bytes(range(n))


def test_new_ocid_is_deterministic_given_the_randomness() -> None:
    first = new_ocid("vault", "us-ashburn-1", _counting)
    assert first == new_ocid("vault", "us-ashburn-1", _counting)
    assert first.startswith("ocid1.vault.oc1.us-ashburn-1..aaaaaaaa")
    assert len(first.rsplit(".", 1)[1]) == 8 + 33


def test_new_ocid_for_tenancy_has_no_region() -> None:
    tenancy = new_ocid("tenancy", "us-ashburn-1", _counting)
    assert tenancy.startswith("ocid1.tenancy.oc1..aaaaaaaa")
    assert ocid_type(tenancy) == "tenancy"


@given(st.sampled_from(["vault", "key", "keyversion", "user", "group", "tenancy"]))
def test_new_ocids_parse_back_to_their_type(resource_type: str) -> None:
    ocid = new_ocid(resource_type, "eu-frankfurt-1", os.urandom)
    assert ocid_type(ocid) == resource_type
    assert require_ocid(ocid, "id", resource_type) == ocid


def test_fresh_ocids_differ() -> None:
    ids = {new_ocid("key", "r1", os.urandom) for _ in range(200)}
    assert len(ids) == 200


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ocid1.key.oc1.iad.bbpkrjh3aaeuk.abuwcljrexample", "key"),
        ("ocid1.tenancy.oc1..aaaaaaaaexample", "tenancy"),
        ("ocid1.vault.oc1.us-phoenix-1..aaaaaaaa2345", "vault"),
        ("ocid1.user.oc1..aaaa", "user"),
    ],
)
def test_ocid_type_of_well_formed_ocids(value: str, expected: str) -> None:
    assert ocid_type(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ocid1",
        "ocid2.key.oc1..aaaa",
        "ocid1.KEY.oc1..aaaa",
        "ocid1.key.oc1..AAAA",
        "ocid1.key.oc1..",
        "ocid1.key..",
        "ocid1.key.oc1..aaaa/../etc",
        " ocid1.key.oc1..aaaa",
        "ocid1.key.oc1..aaaa\n",
        "ocid1.key.oc1.." + "a" * 256,
    ],
)
def test_ocid_type_rejects_malformed_values(value: str) -> None:
    assert ocid_type(value) is None


@pytest.mark.parametrize(
    "value", [None, 42, b"ocid1.key.oc1..aaaa", ["ocid1.key.oc1..aaaa"], "nope"]
)
def test_require_ocid_rejects_non_ocids(value: object) -> None:
    with pytest.raises(InvalidParameter, match="keyId is not a valid OCID"):
        require_ocid(value, "keyId")


def test_require_ocid_checks_the_resource_type() -> None:
    vault = "ocid1.vault.oc1.r1..aaaa"
    assert require_ocid(vault, "vaultId") == vault
    assert require_ocid(vault, "id", "key", "vault") == vault
    with pytest.raises(InvalidParameter, match="must be the OCID of a key or keyversion"):
        require_ocid(vault, "keyId", "key", "keyversion")
