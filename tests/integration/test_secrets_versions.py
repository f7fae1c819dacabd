"""Secret versions through the SDK: stages as OCI moves them, bundles by number, name, stage
and secret name, version deletion (DEPRECATED only) and the limit of versions in use."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from oci.key_management import models as m
from oci.secrets import SecretsClient
from oci.vault import VaultsClient
from oci.vault import models as vm
from sqlalchemy import event

from tests.clock import ManualClock
from tests.integration.secret_support import (
    create,
    error,
    new_version,
    read,
    update,
    versions,
)
from tests.integration.support import Server

pytest_plugins = ["tests.integration.secret_fixtures"]


def test_stages_follow_oci(vaults: VaultsClient, bundles: SecretsClient, secret: vm.Secret) -> None:
    assert versions(vaults, secret.id) == {1: ["CURRENT", "LATEST"]}
    new_version(vaults, secret.id, b"v2")
    assert versions(vaults, secret.id) == {1: ["PREVIOUS"], 2: ["CURRENT", "LATEST"]}
    new_version(vaults, secret.id, b"v3")
    assert versions(vaults, secret.id) == {
        1: ["DEPRECATED"],
        2: ["PREVIOUS"],
        3: ["CURRENT", "LATEST"],
    }
    # A PENDING version is the latest but not in use yet.
    after = new_version(vaults, secret.id, b"v4", stage="PENDING")
    assert after.current_version_number == 3
    assert versions(vaults, secret.id) == {
        1: ["DEPRECATED"],
        2: ["PREVIOUS"],
        3: ["CURRENT"],
        4: ["LATEST", "PENDING"],
    }
    assert read(bundles, secret.id) == b"v3"
    assert read(bundles, secret.id, stage="PENDING") == b"v4"
    assert read(bundles, secret.id, stage="LATEST") == b"v4"
    # Promoting the pending version moves CURRENT and PREVIOUS along.
    promoted = update(vaults, secret.id, current_version_number=4)
    assert promoted.current_version_number == 4
    assert versions(vaults, secret.id) == {
        1: ["DEPRECATED"],
        2: ["DEPRECATED"],
        3: ["PREVIOUS"],
        4: ["CURRENT", "LATEST"],
    }
    # Rolling back to the previous version.
    update(vaults, secret.id, current_version_number=3)
    assert versions(vaults, secret.id)[3] == ["CURRENT"]
    assert versions(vaults, secret.id)[4] == ["LATEST", "PREVIOUS"]
    assert read(bundles, secret.id) == b"v3"


def test_bundles_by_number_name_stage_and_secret_name(
    vaults: VaultsClient, bundles: SecretsClient, secret: vm.Secret, secret_vault: m.Vault
) -> None:
    new_version(vaults, secret.id, b"v2", name="second")
    new_version(vaults, secret.id, b"v3", name="third")
    assert read(bundles, secret.id, version_number=1) == b"v1"
    assert read(bundles, secret.id, secret_version_name="second") == b"v2"
    assert read(bundles, secret.id, stage="CURRENT") == b"v3"
    assert read(bundles, secret.id, stage="PREVIOUS") == b"v2"
    assert read(bundles, secret.id, stage="DEPRECATED") == b"v1"
    bundle = bundles.get_secret_bundle(secret.id, version_number=2).data
    assert bundle.version_name == "second"
    assert bundle.stages == ["PREVIOUS"]

    by_name = bundles.get_secret_bundle_by_name(secret.secret_name, secret_vault.id).data
    assert by_name.secret_id == secret.id
    assert by_name.version_number == 3
    older = bundles.get_secret_bundle_by_name(
        secret.secret_name, secret_vault.id, version_number=1
    ).data
    assert older.version_number == 1
    error(
        bundles.get_secret_bundle_by_name,
        "no-such-secret",
        secret_vault.id,
        status=404,
        code="NotAuthorizedOrNotFound",
    )

    listed = bundles.list_secret_bundle_versions(secret.id).data
    assert [v.version_number for v in listed] == [3, 2, 1]
    assert listed[0].version_name == "third"
    ascending = bundles.list_secret_bundle_versions(secret.id, sort_order="ASC", limit=2)
    assert [v.version_number for v in ascending.data] == [1, 2]
    assert ascending.next_page
    rest = bundles.list_secret_bundle_versions(
        secret.id, sort_order="ASC", limit=2, page=ascending.next_page
    )
    assert [v.version_number for v in rest.data] == [3]


def test_get_version_and_missing_versions(
    vaults: VaultsClient, bundles: SecretsClient, secret: vm.Secret
) -> None:
    got = vaults.get_secret_version(secret.id, 1)
    assert got.data.version_number == 1
    assert got.data.stages == ["CURRENT", "LATEST"]
    assert got.data.content_type == "BASE64"
    assert got.headers["etag"]
    for call, args in (
        (vaults.get_secret_version, (secret.id, 2)),
        (bundles.get_secret_bundle, (secret.id,)),
    ):
        kwargs = {"version_number": 7} if call == bundles.get_secret_bundle else {}
        error(call, *args, status=404, code="NotAuthorizedOrNotFound", **kwargs)
    error(
        bundles.get_secret_bundle,
        secret.id,
        secret_version_name="nope",
        status=404,
        code="NotAuthorizedOrNotFound",
    )
    error(bundles.get_secret_bundle, secret.id, stage="PENDING", status=404)
    error(update, vaults, secret.id, current_version_number=9, status=404)
    error(vaults.get_secret_version, secret.id, 0, status=400, code="InvalidParameter")


def test_version_names_are_unique_per_secret(vaults: VaultsClient, secret: vm.Secret) -> None:
    new_version(vaults, secret.id, b"v2", name="blue")
    error(new_version, vaults, secret.id, b"v3", name="blue", status=409, code="Conflict")
    assert sorted(versions(vaults, secret.id)) == [1, 2]


def test_only_deprecated_versions_can_be_deleted(
    vaults: VaultsClient, bundles: SecretsClient, secret: vm.Secret, clock: ManualClock
) -> None:
    new_version(vaults, secret.id, b"v2")
    new_version(vaults, secret.id, b"v3")
    details = vm.ScheduleSecretVersionDeletionDetails()
    for number in (2, 3):  # PREVIOUS, CURRENT
        message = error(
            vaults.schedule_secret_version_deletion,
            secret.id,
            number,
            details,
            status=409,
            code="IncorrectState",
        )
        assert "DEPRECATED" in message
    when = clock.now() + timedelta(days=2)
    vaults.schedule_secret_version_deletion(
        secret.id, 1, vm.ScheduleSecretVersionDeletionDetails(time_of_deletion=when)
    )
    assert vaults.get_secret_version(secret.id, 1).data.time_of_deletion == when
    error(bundles.get_secret_bundle, secret.id, version_number=1, status=409)
    error(update, vaults, secret.id, current_version_number=1, status=409)
    vaults.cancel_secret_version_deletion(secret.id, 1)
    assert vaults.get_secret_version(secret.id, 1).data.time_of_deletion is None
    assert read(bundles, secret.id, version_number=1) == b"v1"

    vaults.schedule_secret_version_deletion(
        secret.id, 1, vm.ScheduleSecretVersionDeletionDetails(time_of_deletion=when)
    )
    clock.advance(timedelta(days=2, seconds=1))
    message = error(bundles.get_secret_bundle, secret.id, version_number=1, status=409)
    assert "DELETED" in message
    error(vaults.cancel_secret_version_deletion, secret.id, 1, status=409)
    assert read(bundles, secret.id) == b"v3"


def test_the_limit_prunes_the_oldest_deprecated_version(
    vaults: VaultsClient, bundles: SecretsClient, secret: vm.Secret
) -> None:
    for n in range(2, 31):
        new_version(vaults, secret.id, f"v{n}".encode())
    assert len(versions(vaults, secret.id)) == 30
    assert read(bundles, secret.id, version_number=1) == b"v1"
    new_version(vaults, secret.id, b"v31")
    # Version 1 (the oldest DEPRECATED) was deleted to make room; 30 remain in use.
    listed = {v.version_number: v for v in vaults.list_secret_versions(secret.id, limit=100).data}
    assert listed[1].time_of_deletion is not None
    assert sum(v.time_of_deletion is None for v in listed.values()) == 30
    error(bundles.get_secret_bundle, secret.id, version_number=1, status=409)
    assert read(bundles, secret.id) == b"v31"


def test_pending_versions_cannot_be_pruned(vaults: VaultsClient, secret: vm.Secret) -> None:
    for n in range(2, 31):
        new_version(vaults, secret.id, f"p{n}".encode(), stage="PENDING")
    message = error(
        new_version, vaults, secret.id, b"p31", stage="PENDING", status=400, code="LimitExceeded"
    )
    assert "30" in message


def test_reading_is_as_fast_with_30_versions_as_with_one(
    vaults: VaultsClient,
    bundles: SecretsClient,
    secret: vm.Secret,
    secret_vault: m.Vault,
    secret_key: m.Key,
    server: Server,
) -> None:
    single = create(vaults, secret_vault, secret_key, b"only")
    for n in range(2, 31):
        new_version(vaults, secret.id, f"v{n}".encode())

    def version_reads(secret_id: str, **query: Any) -> list[str]:
        """The statements reading secret_versions while one bundle is read."""
        seen: list[str] = []

        def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if "secret_versions" in statement:
                seen.append(statement)

        server.deps.secrets_in_use.clear()  # count the reads of a read that is not cached
        event.listen(server.deps.db.engine, "before_cursor_execute", note)
        try:
            bundles.get_secret_bundle(secret_id, **query)
        finally:
            event.remove(server.deps.db.engine, "before_cursor_execute", note)
        return seen

    # One indexed lookup of one version, whatever the number of versions.
    assert version_reads(secret.id) == version_reads(single.id)
    for query in ({}, {"stage": "DEPRECATED"}, {"version_number": 2}):
        assert len(version_reads(secret.id, **query)) == 1, query
    assert "LIMIT" in version_reads(secret.id, stage="DEPRECATED")[0].upper()

    def timing(secret_id: str) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(20):
                bundles.get_secret_bundle(secret_id)
            best = min(best, time.perf_counter() - start)
        return best

    timing(single.id)  # warm caches and connections
    one, thirty = timing(single.id), timing(secret.id)
    assert thirty < one * 2 + 0.05, (one, thirty)
