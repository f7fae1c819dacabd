"""Cross-region secret replication between real ``strongroom serve`` processes, through the
official SDK: a home region (SQLite) replicating to ap-tokyo-1 (SQLite) and eu-frankfurt-1
(PostgreSQL). Replicas keep the source's OCID, versions and etag and serve GetSecretBundle;
updates and rotations propagate; work requests settle SUCCEEDED (or FAILED naming the region
and the reason); bad targets are refused before anything is stored; replicas refuse writes or
forward them to the source; removing a target or deleting the source deletes replicas.

The tests share one realm (module scope)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import oci
import pytest
from oci.vault import models as vm

from tests.integration.realm_support import wait_for
from tests.integration.secret_replication_support import (
    FRANKFURT,
    TOKYO,
    SecretRealm,
    new_place,
    purge_as_if_later,
    secret_realm,
)
from tests.integration.secret_support import content, error, read, unique_name, versions
from tests.integration.support import management_client, vault_client

pytestmark = pytest.mark.postgres
HOME = "us-ashburn-1"
BOTH = (TOKYO, FRANKFURT)


@pytest.fixture(scope="module")
def sr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretRealm]:
    with secret_realm(tmp_path_factory.mktemp("secret-realm")) as made:
        yield made


def _same_as_source(sr: SecretRealm, secret_id: str, **expect: Any) -> vm.Secret:
    """The source secret, once each replica shows its etag (and ``expect``)."""
    answer = sr.vaults(HOME).get_secret(secret_id)
    for name in BOTH:
        sr.replica(name, secret_id, **expect)
        replica = sr.vaults(name).get_secret(secret_id)

        def same_etag(n: str = name) -> bool:
            return bool(
                sr.vaults(n).get_secret(secret_id).headers["etag"] == answer.headers["etag"]
            )

        wait_for(same_etag, 15, f"etag in {name}")
        replica = sr.vaults(name).get_secret(secret_id)
        assert replica.data.current_version_number == answer.data.current_version_number
    return answer.data


def test_create_with_two_targets_makes_identical_replicas(sr: SecretRealm) -> None:
    made, work_request_id = sr.create(b"hello replicas", description="first")
    assert work_request_id
    done = sr.work_request(HOME, work_request_id)
    assert done.percent_complete == 100.0
    assert done.operation_type and done.resources
    source = sr.vaults(HOME).get_secret(made.id)
    for name in BOTH:
        replica = sr.replica(name, made.id)
        place = sr.places[name]
        assert replica.id == made.id
        assert replica.is_replica is True
        assert (replica.vault_id, replica.key_id) == (place.vault.id, place.key.id)
        origin = replica.source_region_information
        assert origin.source_region == HOME
        assert (origin.source_vault_id, origin.source_key_id) == (made.vault_id, made.key_id)
        answer = sr.vaults(name).get_secret(made.id)
        assert answer.headers["etag"] == source.headers["etag"]
        assert replica.secret_name == made.secret_name
        assert replica.description == "first"
        assert versions(sr.vaults(name), made.id) == versions(sr.vaults(HOME), made.id)
        assert read(sr.bundles(name), made.id) == b"hello replicas"
    assert source.data.is_replica in (False, None)
    status = {i["targetRegion"]: i for i in sr.replication_status(made.id)}
    assert set(status) == set(BOTH)
    assert {i["state"] for i in status.values()} == {"IN_SYNC"}
    assert {i["lastAppliedVersionNumber"] for i in status.values()} == {1}


def test_updates_and_rotation_propagate(sr: SecretRealm) -> None:
    made, _ = sr.create(b"one")
    home = sr.vaults(HOME)
    expiry = vm.SecretExpiryRule(
        rule_type="SECRET_EXPIRY_RULE", secret_version_expiry_interval="P5D"
    )
    answer = home.update_secret(
        made.id,
        vm.UpdateSecretDetails(
            secret_content=content(b"two"),
            description="second",
            freeform_tags={"team": "blue"},
            metadata={"owner": "ops"},
        ),
    )
    sr.work_request(HOME, answer.headers["opc-work-request-id"])
    answer = home.update_secret(made.id, vm.UpdateSecretDetails(secret_rules=[expiry]))
    sr.work_request(HOME, answer.headers["opc-work-request-id"])
    source = _same_as_source(sr, made.id, current_version_number=2)
    for name in BOTH:
        replica = sr.vaults(name).get_secret(made.id).data
        assert replica.description == "second"
        assert replica.freeform_tags == {"team": "blue"}
        assert replica.metadata == {"owner": "ops"}
        assert [r.secret_version_expiry_interval for r in replica.secret_rules] == ["P5D"]
        assert read(sr.bundles(name), made.id) == b"two"
        assert read(sr.bundles(name), made.id, version_number=1) == b"one"
    # The current version moved back to 1.
    answer = home.update_secret(made.id, vm.UpdateSecretDetails(current_version_number=1))
    sr.work_request(HOME, answer.headers["opc-work-request-id"])
    _same_as_source(sr, made.id, current_version_number=1)
    for name in BOTH:
        assert read(sr.bundles(name), made.id) == b"one"
        assert versions(sr.vaults(name), made.id) == versions(home, made.id)
    assert source.current_version_number == 2


def test_rotation_propagates(sr: SecretRealm) -> None:
    context = vm.PassphraseGenerationContext(
        generation_type="PASSPHRASE",
        generation_template="SECRETS_DEFAULT_PASSWORD",
        passphrase_length=24,
    )
    place = sr.places[HOME]
    answer = sr.vaults(HOME).create_secret(
        vm.CreateSecretDetails(
            compartment_id=sr.tenancy,
            vault_id=place.vault.id,
            key_id=place.key.id,
            secret_name=unique_name("rot"),
            enable_auto_generation=True,
            secret_generation_context=context,
            replication_config=sr.config_for(*BOTH),
        )
    )
    made = answer.data
    sr.work_request(HOME, answer.headers["opc-work-request-id"])
    first = read(sr.bundles(HOME), made.id)
    rotated = sr.vaults(HOME).rotate_secret(made.id)
    work_request_id = rotated.headers.get("opc-work-request-id")
    assert work_request_id, rotated.headers
    assert sr.work_request(HOME, work_request_id).percent_complete == 100.0
    second = read(sr.bundles(HOME), made.id)
    assert second != first
    _same_as_source(sr, made.id, current_version_number=2)
    for name in BOTH:
        assert read(sr.bundles(name), made.id) == second
        assert read(sr.bundles(name), made.id, version_number=1) == first


# -- refused before anything is stored -----------------------------------------------------


def _nothing_named(sr: SecretRealm, name: str) -> None:
    for region in (HOME, *BOTH):
        found = sr.vaults(region).list_secrets(sr.tenancy, name=name).data
        assert found == [], (region, found)


def _refused(
    sr: SecretRealm, targets: list[vm.ReplicationTarget], status: int = 400, name: str = ""
) -> str:
    name = name or unique_name("bad")
    place = sr.places[HOME]
    details = vm.CreateSecretDetails(
        compartment_id=sr.tenancy,
        vault_id=place.vault.id,
        key_id=place.key.id,
        secret_name=name,
        secret_content=content(b"x"),
        replication_config=vm.ReplicationConfig(replication_targets=targets),
    )
    message = error(sr.vaults(HOME).create_secret, details, status=status)
    if status != 503:
        _nothing_named(sr, name)
    return message


def test_bad_targets_are_refused_before_anything_is_stored(sr: SecretRealm) -> None:
    tokyo, frankfurt = sr.target(TOKYO), sr.target(FRANKFURT)
    four = [tokyo, frankfurt, sr.target(TOKYO), sr.target(FRANKFURT)]
    assert "3" in _refused(sr, four)
    assert HOME in _refused(sr, [sr.target(HOME)])
    unknown = vm.ReplicationTarget(
        target_region="sa-saopaulo-1",
        target_vault_id=tokyo.target_vault_id,
        target_key_id=tokyo.target_key_id,
    )
    assert "sa-saopaulo-1" in _refused(sr, [tokyo, unknown])
    # Tokyo's vault and key do not exist in Frankfurt.
    wrong_vault = vm.ReplicationTarget(
        target_region=FRANKFURT,
        target_vault_id=tokyo.target_vault_id,
        target_key_id=frankfurt.target_key_id,
    )
    message = _refused(sr, [tokyo, wrong_vault])
    assert FRANKFURT in message, message  # (not the vault: it may not be the caller's to see)
    wrong_key = vm.ReplicationTarget(
        target_region=FRANKFURT,
        target_vault_id=frankfurt.target_vault_id,
        target_key_id=tokyo.target_key_id,
    )
    message = _refused(sr, [wrong_key])
    assert FRANKFURT in message, message


def test_a_target_region_down_answers_503_and_stores_nothing(sr: SecretRealm) -> None:
    tokyo = sr.region(TOKYO)
    name = unique_name("down")
    tokyo.stop()
    try:
        message = _refused(sr, [sr.target(TOKYO), sr.target(FRANKFURT)], 503, name)
        assert TOKYO in message, message
    finally:
        tokyo.start()
    _nothing_named(sr, name)


# -- writes to replicas --------------------------------------------------------------------


def test_a_replica_refuses_writes_naming_the_source(sr: SecretRealm) -> None:
    made, work_request_id = sr.create(b"read only")
    assert work_request_id
    sr.work_request(HOME, work_request_id)
    tokyo = sr.vaults(TOKYO)
    message = error(
        tokyo.update_secret,
        made.id,
        vm.UpdateSecretDetails(description="nope"),
        status=409,
        code="IncorrectState",
    )
    assert HOME in message, message
    message = error(
        tokyo.schedule_secret_deletion,
        made.id,
        vm.ScheduleSecretDeletionDetails(),
        status=409,
        code="IncorrectState",
    )
    assert HOME in message, message
    assert not sr.vaults(HOME).get_secret(made.id).data.description


def test_write_forwarding(sr: SecretRealm) -> None:
    made, work_request_id = sr.create(b"f1", forward=True)
    assert work_request_id
    sr.work_request(HOME, work_request_id)
    tokyo, home = sr.vaults(TOKYO), sr.vaults(HOME)
    etag = sr.replica(TOKYO, made.id) and tokyo.get_secret(made.id).headers["etag"]
    answer = tokyo.update_secret(
        made.id, vm.UpdateSecretDetails(secret_content=content(b"f2")), if_match=etag
    )
    assert answer.data.current_version_number == 2
    forwarded_request = answer.headers.get("opc-work-request-id")
    assert forwarded_request
    # Applied at the source at once, then replicated back.
    assert read(sr.bundles(HOME), made.id) == b"f2"
    sr.work_request(TOKYO, forwarded_request)
    _same_as_source(sr, made.id, current_version_number=2)
    assert read(sr.bundles(TOKYO), made.id) == b"f2"
    # A stale etag: 412 from the source, nothing changed.
    error(
        tokyo.update_secret,
        made.id,
        vm.UpdateSecretDetails(description="stale"),
        if_match=etag,
        status=412,
    )
    assert not home.get_secret(made.id).data.description
    # Never forwarded: deletion and the replication configuration.
    message = error(
        tokyo.schedule_secret_deletion,
        made.id,
        vm.ScheduleSecretDeletionDetails(),
        status=409,
        code="IncorrectState",
    )
    assert HOME in message, message
    message = error(
        tokyo.update_secret,
        made.id,
        vm.UpdateSecretDetails(replication_config=sr.config_for(FRANKFURT)),
        status=409,
        code="IncorrectState",
    )
    assert home.get_secret(made.id).data.lifecycle_state == "ACTIVE"
    status = {i["targetRegion"] for i in sr.replication_status(made.id)}
    assert status == set(BOTH)


def test_conflicting_forwarded_writes_one_wins_one_412(sr: SecretRealm) -> None:
    made, work_request_id = sr.create(b"c1", forward=True)
    assert work_request_id
    sr.work_request(HOME, work_request_id)
    sr.replica(TOKYO, made.id)
    sr.replica(FRANKFURT, made.id)
    etag = sr.vaults(TOKYO).get_secret(made.id).headers["etag"]
    outcomes: dict[str, object] = {}

    def write(region: str, data: bytes) -> None:
        try:
            sr.vaults(region).update_secret(
                made.id, vm.UpdateSecretDetails(secret_content=content(data)), if_match=etag
            )
            outcomes[region] = "ok"
        except oci.exceptions.ServiceError as failure:
            outcomes[region] = failure.status

    threads = [
        threading.Thread(target=write, args=(TOKYO, b"from tokyo")),
        threading.Thread(target=write, args=(FRANKFURT, b"from frankfurt")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(map(str, outcomes.values())) == ["412", "ok"], outcomes
    (winner,) = [r for r, o in outcomes.items() if o == "ok"]
    expected = b"from tokyo" if winner == TOKYO else b"from frankfurt"
    assert read(sr.bundles(HOME), made.id) == expected
    assert sr.vaults(HOME).get_secret(made.id).data.current_version_number == 2
    _same_as_source(sr, made.id, current_version_number=2)
    for name in BOTH:
        assert read(sr.bundles(name), made.id) == expected


# -- removal and deletion ------------------------------------------------------------------


def test_removing_one_target_deletes_that_replica_only(sr: SecretRealm) -> None:
    made, work_request_id = sr.create(b"two places")
    assert work_request_id
    sr.work_request(HOME, work_request_id)
    sr.replica(FRANKFURT, made.id)
    answer = sr.vaults(HOME).update_secret(
        made.id, vm.UpdateSecretDetails(replication_config=sr.config_for(TOKYO))
    )
    if answer.headers.get("opc-work-request-id"):
        sr.work_request(HOME, answer.headers["opc-work-request-id"])
    sr.gone(FRANKFURT, made.id)
    assert read(sr.bundles(TOKYO), made.id) == b"two places"
    assert sr.replica(TOKYO, made.id).is_replica is True
    assert [i["targetRegion"] for i in sr.replication_status(made.id)] == [TOKYO]
    # No targets at all: the last replica goes too; the source stays.
    sr.vaults(HOME).update_secret(
        made.id,
        vm.UpdateSecretDetails(replication_config=vm.ReplicationConfig(replication_targets=[])),
    )
    sr.gone(TOKYO, made.id)
    assert read(sr.bundles(HOME), made.id) == b"two places"


def test_deleting_the_source_deletes_its_replicas(sr: SecretRealm) -> None:
    made, work_request_id = sr.create(b"doomed")
    assert work_request_id
    sr.work_request(HOME, work_request_id)
    sr.vaults(HOME).schedule_secret_deletion(made.id, vm.ScheduleSecretDeletionDetails())
    assert sr.vaults(HOME).get_secret(made.id).data.lifecycle_state == "PENDING_DELETION"
    for name in BOTH:  # the replicas follow the source's state
        sr.replica(name, made.id, lifecycle_state="PENDING_DELETION")
    # The deletion takes effect: the home region's scheduler round, run as if 40 days later
    # (the minimum is 1 day and a real process's scheduler runs on the wall clock).
    sr.home.stop()
    try:
        purge_as_if_later(sr.home)
    finally:
        sr.home.start()
    assert sr.vaults(HOME).get_secret(made.id).data.lifecycle_state == "DELETED"
    for name in BOTH:
        sr.gone(name, made.id)


# -- applied as the secret's resource principal: refusals in the target ----------------------


def test_a_target_without_secret_replicate_fails_the_work_request(sr: SecretRealm) -> None:
    made, work_request_id = sr.create(b"weak", targets=(TOKYO,), compartment_id=sr.weak_compartment)
    assert work_request_id
    sr.work_request(HOME, work_request_id, "FAILED")
    messages = sr.work_request_errors(HOME, work_request_id)
    assert any(TOKYO in m and "SECRET_REPLICATE" in m for m in messages), messages
    source = sr.vaults(HOME).get_secret(made.id).data
    assert source.lifecycle_state == "ACTIVE" and source.current_version_number == 1
    assert read(sr.bundles(HOME), made.id) == b"weak"
    sr.gone(TOKYO, made.id, timeout=2)
    (item,) = sr.replication_status(made.id)
    assert item["state"] == "FAILED" and "SECRET_REPLICATE" in item["lastError"], item


def test_a_disabled_target_key_or_deleted_vault_fails_the_work_request(sr: SecretRealm) -> None:
    tokyo = sr.region(TOKYO)
    spare = new_place(sr.config, tokyo, sr.tenancy)
    target = sr.target(TOKYO, spare)
    place = sr.places[HOME]
    answer = sr.vaults(HOME).create_secret(
        vm.CreateSecretDetails(
            compartment_id=sr.tenancy,
            vault_id=place.vault.id,
            key_id=place.key.id,
            secret_name=unique_name("spare"),
            secret_content=content(b"s1"),
            replication_config=vm.ReplicationConfig(replication_targets=[target]),
        )
    )
    made = answer.data
    sr.work_request(HOME, answer.headers["opc-work-request-id"])
    keys = management_client(sr.config, spare.vault)
    keys.disable_key(spare.key.id)
    wait_for(lambda: keys.get_key(spare.key.id).data.lifecycle_state == "DISABLED", 10, "off")
    answer = sr.vaults(HOME).update_secret(
        made.id, vm.UpdateSecretDetails(secret_content=content(b"s2"))
    )
    work_request_id = answer.headers["opc-work-request-id"]
    sr.work_request(HOME, work_request_id, "FAILED")
    messages = sr.work_request_errors(HOME, work_request_id)
    assert any(TOKYO in m and spare.key.id in m and "DISABLED" in m for m in messages), messages
    assert read(sr.bundles(HOME), made.id) == b"s2"
    # The replica keeps its last state (unreadable while its key is disabled).
    assert sr.vaults(TOKYO).get_secret(made.id).data.current_version_number == 1
    # The key back, the vault scheduled for deletion.
    keys.enable_key(spare.key.id)
    wait_for(lambda: keys.get_key(spare.key.id).data.lifecycle_state == "ENABLED", 10, "on")
    vault_client(sr.config, tokyo.url).schedule_vault_deletion(
        spare.vault.id, oci.key_management.models.ScheduleVaultDeletionDetails()
    )
    answer = sr.vaults(HOME).update_secret(made.id, vm.UpdateSecretDetails(description="s3"))
    work_request_id = answer.headers["opc-work-request-id"]
    sr.work_request(HOME, work_request_id, "FAILED")
    messages = sr.work_request_errors(HOME, work_request_id)
    assert any(TOKYO in m and spare.vault.id in m for m in messages), messages
    replica = sr.vaults(TOKYO).get_secret(made.id).data
    assert replica.current_version_number == 1 and not replica.description
