"""Concurrent writers: every request succeeds or fails cleanly; nothing is lost."""

from __future__ import annotations

import concurrent.futures as cf
from typing import Any

import oci
from oci.key_management import models as m

from tests.integration import support


def test_concurrent_key_creation_all_succeed(oci_config: dict[str, Any], vault: m.Vault) -> None:
    def create(i: int) -> str:
        client = support.management_client(oci_config, vault)
        details = support.key_details(oci_config["tenancy"], "AES", 32, name=f"parallel-{i}")
        return client.create_key(details).data.id

    with cf.ThreadPoolExecutor(12) as pool:
        created = list(pool.map(create, range(36)))

    listed = oci.pagination.list_call_get_all_results(
        support.management_client(oci_config, vault).list_keys, oci_config["tenancy"]
    ).data
    assert len(set(created)) == 36
    assert {k.id for k in listed} >= set(created)


def test_concurrent_updates_with_one_etag_let_exactly_one_through(
    oci_config: dict[str, Any], vault: m.Vault
) -> None:
    client = support.management_client(oci_config, vault)
    key = support.new_key(client, oci_config["tenancy"], "AES", 32)
    etag = client.get_key(key.id).headers["etag"]

    def rename(i: int) -> int:
        worker = support.management_client(oci_config, vault)
        try:
            worker.update_key(key.id, m.UpdateKeyDetails(display_name=f"name-{i}"), if_match=etag)
            return 200
        except oci.exceptions.ServiceError as error:
            return error.status

    with cf.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(rename, range(8)))

    assert statuses.count(200) == 1
    assert set(statuses) <= {200, 409, 412}
