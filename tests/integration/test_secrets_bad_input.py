"""Bad input to the secrets APIs, and concurrent updates: clear errors, nothing lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import oci
from oci.key_management import models as m
from oci.secrets import SecretsClient
from oci.vault import VaultsClient
from oci.vault import models as vm

from strongroom.domain.secret import MAX_CONTENT
from tests.integration.secret_support import (
    content,
    create,
    error,
    new_version,
    read,
    unique_name,
    update,
    vaults_client,
    versions,
)
from tests.integration.support import Raw, Server, assert_oci_error

pytest_plugins = ["tests.integration.secret_fixtures"]

RULE = vm.SecretReuseRule(rule_type="SECRET_REUSE_RULE")


def _raw_create(raw: Raw, vault: m.Vault, key: m.Key, secret_content: Any) -> Any:
    body = {
        "compartmentId": vault.compartment_id,
        "vaultId": vault.id,
        "keyId": key.id,
        "secretName": unique_name("raw"),
        "secretContent": secret_content,
    }
    return raw.post("/20180608/secrets", body)


def test_invalid_base64_content(
    raw: Raw, secret_vault: m.Vault, secret_key: m.Key, secret: vm.Secret
) -> None:
    for text in ("not base64!", "YWJ", "YW Jj", "", "YWJj\n"):
        bad = {"contentType": "BASE64", "content": text}
        response = _raw_create(raw, secret_vault, secret_key, bad)
        assert_oci_error(response, 400, "InvalidParameter")
    put = raw.put(f"/20180608/secrets/{secret.id}", {"secretContent": {"content": "@@@"}})
    message = assert_oci_error(put, 400, "InvalidParameter")
    assert "base64" in message
    other_type = {"contentType": "TEXT", "content": "YWJj"}
    assert_oci_error(
        _raw_create(raw, secret_vault, secret_key, other_type), 400, "InvalidParameter"
    )


def test_content_size_limit(
    vaults: VaultsClient, bundles: SecretsClient, secret_vault: m.Vault, secret_key: m.Key
) -> None:
    largest = bytes(range(256)) * (MAX_CONTENT // 256)
    assert len(largest) == MAX_CONTENT
    made = create(vaults, secret_vault, secret_key, largest)
    assert read(bundles, made.id) == largest
    message = error(
        create,
        vaults,
        secret_vault,
        secret_key,
        largest + b"!",
        status=400,
        code="InvalidParameter",
    )
    assert str(MAX_CONTENT) in message
    error(new_version, vaults, made.id, largest + b"!", status=400, code="InvalidParameter")


def test_updates_may_not_mix_content_rules_and_version(
    vaults: VaultsClient, bundles: SecretsClient, secret: vm.Secret
) -> None:
    new_version(vaults, secret.id, b"v2")
    mixes: list[dict[str, Any]] = [
        {"secret_content": content(b"v3"), "current_version_number": 1},
        {"secret_content": content(b"v3"), "secret_rules": [RULE]},
        {"current_version_number": 1, "secret_rules": [RULE]},
    ]
    for fields in mixes:
        message = error(update, vaults, secret.id, **fields, status=400, code="InvalidParameter")
        assert "same call" in message
    assert sorted(versions(vaults, secret.id)) == [1, 2]
    assert vaults.get_secret(secret.id).data.secret_rules == []
    assert read(bundles, secret.id) == b"v2"
    # Description and tags may go with any one of them.
    both = update(vaults, secret.id, secret_content=content(b"v3"), description="third")
    assert both.current_version_number == 3
    assert both.description == "third"


def test_other_bad_fields(
    vaults: VaultsClient, raw: Raw, secret_vault: m.Vault, secret_key: m.Key, secret: vm.Secret
) -> None:
    for name in ("has space", "x" * 256, "slash/name", ""):
        error(create, vaults, secret_vault, secret_key, b"x", name=name, status=400)
    error(
        create,
        vaults,
        secret_vault,
        secret_key,
        b"x",
        replication_config=vm.ReplicationConfig(
            replication_targets=[
                vm.ReplicationTarget(
                    target_region=f"xx-region-{n}",
                    target_vault_id=secret_vault.id,
                    target_key_id=secret_key.id,
                )
                for n in range(4)  # at most 3
            ]
        ),
        status=400,
    )
    # The first version of a secret is CURRENT.
    pending = {"contentType": "BASE64", "content": "YWJj", "stage": "PENDING"}
    assert_oci_error(_raw_create(raw, secret_vault, secret_key, pending), 400, "InvalidParameter")
    weird = {"contentType": "BASE64", "content": "YWJj", "stage": "LATEST"}
    put = raw.put(f"/20180608/secrets/{secret.id}", {"secretContent": weird})
    assert_oci_error(put, 400, "InvalidParameter")
    for query in (
        {"stage": "NEWEST"},
        {"versionNumber": "two"},
        {"versionNumber": "1", "stage": "CURRENT"},
    ):
        response = raw.get(f"/20190301/secretbundles/{secret.id}", params=query)
        assert_oci_error(response, 400, "InvalidParameter")
    assert_oci_error(raw.get("/20190301/secretbundles/not-an-ocid"), 400, "InvalidParameter")
    listing = raw.get(
        "/20180608/secrets", params={"compartmentId": secret.compartment_id, "sortBy": "SIZE"}
    )
    assert_oci_error(listing, 400, "InvalidParameter")


def test_stale_if_match_loses_nothing(
    vaults: VaultsClient, bundles: SecretsClient, secret: vm.Secret
) -> None:
    etag = vaults.get_secret(secret.id).headers["etag"]
    first = vaults.update_secret(
        secret.id, vm.UpdateSecretDetails(secret_content=content(b"mine")), if_match=etag
    )
    assert first.data.current_version_number == 2
    error(
        vaults.update_secret,
        secret.id,
        vm.UpdateSecretDetails(secret_content=content(b"theirs")),
        if_match=etag,
        status=412,
        code="NoEtagMatch",
    )
    error(
        vaults.schedule_secret_deletion,
        secret.id,
        vm.ScheduleSecretDeletionDetails(),
        if_match=etag,
        status=412,
    )
    assert read(bundles, secret.id) == b"mine"
    assert sorted(versions(vaults, secret.id)) == [1, 2]
    assert vaults.get_secret(secret.id).data.lifecycle_state == "ACTIVE"
    fresh = first.headers["etag"]
    assert vaults.update_secret(secret.id, vm.UpdateSecretDetails(description="ok"), if_match=fresh)


def test_concurrent_updates_with_one_etag(
    server: Server, bundles: SecretsClient, secret_vault: m.Vault, secret_key: m.Key
) -> None:
    clients = [vaults_client(server.config, server.url) for _ in range(6)]
    made = create(clients[0], secret_vault, secret_key, b"v0")
    etag = clients[0].get_secret(made.id).headers["etag"]

    def attempt(index: int) -> int:
        details = vm.UpdateSecretDetails(secret_content=content(f"c{index}".encode()))
        try:
            clients[index].update_secret(made.id, details, if_match=etag)
        except oci.exceptions.ServiceError as failure:
            return int(failure.status)
        return 200

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = list(pool.map(attempt, range(len(clients))))
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 409, 412}, statuses
    winner = statuses.index(200)
    assert read(bundles, made.id) == f"c{winner}".encode()
    assert sorted(versions(clients[0], made.id)) == [1, 2]


def test_concurrent_updates_without_etag_lose_nothing(
    server: Server, bundles: SecretsClient, secret_vault: m.Vault, secret_key: m.Key
) -> None:
    clients = [vaults_client(server.config, server.url) for _ in range(6)]
    made = create(clients[0], secret_vault, secret_key, b"v0")

    def attempt(index: int) -> bytes | None:
        data = f"c{index}".encode()
        try:
            new_version(clients[index], made.id, data)
        except oci.exceptions.ServiceError as failure:
            assert failure.status == 409, failure
            return None
        return data

    with ThreadPoolExecutor(len(clients)) as pool:
        written = [d for d in pool.map(attempt, range(len(clients))) if d is not None]
    assert written
    stored = {
        read(bundles, made.id, version_number=n) for n in versions(clients[0], made.id) if n > 1
    }
    assert stored == set(written)
