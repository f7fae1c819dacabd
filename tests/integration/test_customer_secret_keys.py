"""Customer secret keys through the oci SDK's IdentityClient: created with the secret shown
once, listed without it, renamed, deleted; two per user; every user manages their own and
nobody else's without a grant; bad input refused in OCI's error format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from oci.identity import models as im

from strongroom.api.oci.app import _HOME_ONLY
from tests.integration import iam_support
from tests.integration.iam_support import Iam, invalid, refused
from tests.integration.support import Server, service_error

MISSING_USER = "ocid1.user.oc1..aaaaaaaa" + "m" * 52
MISSING_KEY = "ocid1.credential.oc1.us-ashburn-1..aaaaaaaa" + "m" * 52


@pytest.fixture
def iam(server: Server, tmp_path: Path) -> Iterator[Iam]:
    with iam_support.iam_session(server, tmp_path) as helper:
        yield helper


def _details(name: str = "ci") -> im.CreateCustomerSecretKeyDetails:
    return im.CreateCustomerSecretKeyDetails(display_name=name)


def test_create_list_rename_delete(iam: Iam) -> None:
    dev = iam.person()
    made = iam.admin.create_customer_secret_key(_details("laptop"), dev.id)
    key: im.CustomerSecretKey = made.data
    assert made.status == 200 and isinstance(key, im.CustomerSecretKey)
    assert key.id.startswith("ocid1.credential.") and key.user_id == dev.id
    assert key.display_name == "laptop" and key.lifecycle_state == "ACTIVE"
    assert isinstance(key.key, str) and len(key.key) == 40
    assert key.time_created is not None

    listed = iam.admin.list_customer_secret_keys(dev.id).data
    assert [type(k) for k in listed] == [im.CustomerSecretKeySummary]
    assert [(k.id, k.display_name, k.lifecycle_state) for k in listed] == [
        (key.id, "laptop", "ACTIVE")
    ]
    assert "key" not in iam.admin.base_client.sanitize_for_serialization(listed[0])

    details = im.UpdateCustomerSecretKeyDetails(display_name="desktop")
    renamed = iam.admin.update_customer_secret_key(dev.id, key.id, details).data
    assert isinstance(renamed, im.CustomerSecretKeySummary)
    assert (renamed.id, renamed.display_name) == (key.id, "desktop")

    assert iam.admin.delete_customer_secret_key(dev.id, key.id).status == 204
    assert iam.admin.list_customer_secret_keys(dev.id).data == []
    refused(iam.admin.delete_customer_secret_key, dev.id, key.id)


def test_two_keys_per_user(iam: Iam) -> None:
    dev = iam.person()
    first = iam.admin.create_customer_secret_key(_details(), dev.id).data
    second = iam.admin.create_customer_secret_key(_details(), dev.id).data
    assert first.key != second.key
    error = service_error(
        iam.admin.create_customer_secret_key, _details(), dev.id, status=400, code="LimitExceeded"
    )
    assert "at most 2" in error.message
    assert len(iam.admin.list_customer_secret_keys(dev.id).data) == 2


def test_a_user_manages_their_own_keys_and_no_one_elses(iam: Iam) -> None:
    dev, other = iam.person(), iam.person()
    mine = dev.identity()
    own = mine.create_customer_secret_key(_details(), dev.id).data
    assert [k.id for k in mine.list_customer_secret_keys(dev.id).data] == [own.id]
    theirs = iam.admin.create_customer_secret_key(_details(), other.id).data

    refused(mine.create_customer_secret_key, _details(), other.id)
    refused(mine.list_customer_secret_keys, other.id)
    details = im.UpdateCustomerSecretKeyDetails(display_name="mine now")
    refused(mine.update_customer_secret_key, other.id, theirs.id, details)
    refused(mine.delete_customer_secret_key, other.id, theirs.id)
    refused(mine.delete_customer_secret_key, dev.id, theirs.id)  # not one of dev's keys
    assert [k.id for k in iam.admin.list_customer_secret_keys(other.id).data] == [theirs.id]
    assert mine.delete_customer_secret_key(dev.id, own.id).status == 204

    group = iam.group()
    iam.add(dev, group)
    iam.policy(f"Allow group {group.name} to manage users in tenancy")
    assert mine.delete_customer_secret_key(other.id, theirs.id).status == 204


def test_bad_input_is_refused_and_stores_nothing(iam: Iam) -> None:
    dev = iam.person()
    refused(iam.admin.create_customer_secret_key, _details(), MISSING_USER)
    refused(iam.admin.list_customer_secret_keys, MISSING_USER)
    refused(iam.admin.delete_customer_secret_key, dev.id, MISSING_KEY)
    details = im.UpdateCustomerSecretKeyDetails(display_name="x")
    refused(iam.admin.update_customer_secret_key, dev.id, MISSING_KEY, details)
    invalid(iam.admin.delete_customer_secret_key, dev.id, "not-an-ocid")
    invalid(iam.admin.create_customer_secret_key, _details(), "not-an-ocid")
    for name in ("", "x" * 401, "line\nbreak"):
        error = invalid(iam.admin.create_customer_secret_key, _details(name), dev.id)
        assert "displayName" in error.message
    invalid(iam.admin.create_customer_secret_key, im.CreateCustomerSecretKeyDetails(), dev.id)
    key = iam.admin.create_customer_secret_key(_details("kept"), dev.id).data
    too_long = im.UpdateCustomerSecretKeyDetails(display_name="x" * 401)
    invalid(iam.admin.update_customer_secret_key, dev.id, key.id, too_long)
    listed = iam.admin.list_customer_secret_keys(dev.id).data
    assert [(k.id, k.display_name) for k in listed] == [(key.id, "kept")]


def test_the_secret_is_in_no_answer_but_the_create(iam: Iam, server: Server) -> None:
    dev = iam.person()
    key = iam.admin.create_customer_secret_key(_details(), dev.id).data
    for response in (
        iam.admin.list_customer_secret_keys(dev.id),
        iam.admin.update_customer_secret_key(
            dev.id, key.id, im.UpdateCustomerSecretKeyDetails(display_name="y")
        ),
    ):
        assert key.key not in str(response.data)
        assert key.key not in str(response.headers)


def test_the_writes_are_home_region_writes() -> None:
    writes = {"CreateCustomerSecretKey", "UpdateCustomerSecretKey", "DeleteCustomerSecretKey"}
    assert writes <= _HOME_ONLY
    assert "ListCustomerSecretKeys" not in _HOME_ONLY
