"""Secret rules through the SDK: expiry (interval, absolute, blocked retrieval) and reuse."""

from __future__ import annotations

from datetime import timedelta

from oci.key_management import models as m
from oci.secrets import SecretsClient
from oci.vault import VaultsClient
from oci.vault import models as vm

from tests.clock import ManualClock
from tests.integration.secret_support import (
    create,
    error,
    new_version,
    read,
    update,
)

pytest_plugins = ["tests.integration.secret_fixtures"]


def expiry(
    interval: str | None = "P3D", absolute: object = None, blocked: bool = False
) -> vm.SecretExpiryRule:
    return vm.SecretExpiryRule(
        rule_type="SECRET_EXPIRY_RULE",
        secret_version_expiry_interval=interval,
        time_of_absolute_expiry=absolute,
        is_secret_content_retrieval_blocked_on_expiry=blocked,
    )


def reuse(deleted: bool = False) -> vm.SecretReuseRule:
    return vm.SecretReuseRule(
        rule_type="SECRET_REUSE_RULE", is_enforced_on_deleted_secret_versions=deleted
    )


def test_expiry_times_are_reported(
    vaults: VaultsClient,
    bundles: SecretsClient,
    secret_vault: m.Vault,
    secret_key: m.Key,
    clock: ManualClock,
) -> None:
    absolute = clock.now() + timedelta(days=10)
    made = create(vaults, secret_vault, secret_key, b"v1", secret_rules=[expiry("P3D", absolute)])
    assert made.time_of_current_version_expiry == clock.now() + timedelta(days=3)
    rule = made.secret_rules[0]
    assert isinstance(rule, vm.SecretExpiryRule)
    assert rule.secret_version_expiry_interval == "P3D"
    assert rule.time_of_absolute_expiry == absolute
    assert rule.is_secret_content_retrieval_blocked_on_expiry is False
    bundle = bundles.get_secret_bundle(made.id).data
    assert bundle.time_of_expiry == clock.now() + timedelta(days=3)

    clock.advance(timedelta(days=8))
    later = new_version(vaults, made.id, b"v2")
    # The absolute time comes before the interval for the new version.
    assert later.time_of_current_version_expiry == absolute
    summary = vaults.list_secret_versions(made.id).data
    assert {v.version_number: v.time_of_expiry for v in summary}[2] == absolute
    # Expired content is still returned when retrieval is not blocked.
    assert read(bundles, made.id, version_number=1) == b"v1"


def test_blocked_retrieval_of_expired_content(
    vaults: VaultsClient,
    bundles: SecretsClient,
    secret_vault: m.Vault,
    secret_key: m.Key,
    clock: ManualClock,
) -> None:
    made = create(
        vaults, secret_vault, secret_key, b"v1", secret_rules=[expiry("P1D", blocked=True)]
    )
    assert read(bundles, made.id) == b"v1"
    clock.advance(timedelta(days=1, seconds=1))
    message = error(bundles.get_secret_bundle, made.id, status=409, code="IncorrectState")
    assert "expired" in message
    # New content resets the timer ...
    new_version(vaults, made.id, b"v2")
    assert read(bundles, made.id) == b"v2"
    error(bundles.get_secret_bundle, made.id, version_number=1, status=409)
    # ... and turning blocking off makes old content readable again.
    update(vaults, made.id, secret_rules=[expiry("P1D", blocked=False)])
    assert read(bundles, made.id, version_number=1) == b"v1"


def test_rule_values_are_checked(
    vaults: VaultsClient, secret: vm.Secret, clock: ManualClock
) -> None:
    bad = [
        [expiry("P0D")],
        [expiry("P91D")],
        [expiry("PT12H")],
        [expiry("3 days")],
        [expiry(None, clock.now() + timedelta(days=366))],
        [expiry(None, clock.now() + timedelta(hours=1))],
        [expiry(None, None)],
        [reuse(), reuse()],
    ]
    for rules in bad:
        error(update, vaults, secret.id, secret_rules=rules, status=400, code="InvalidParameter")
    ok = update(vaults, secret.id, secret_rules=[expiry("P90D"), reuse(True)])
    assert {r.rule_type for r in ok.secret_rules} == {"SECRET_EXPIRY_RULE", "SECRET_REUSE_RULE"}
    cleared = update(vaults, secret.id, secret_rules=[])
    assert cleared.secret_rules == []
    assert cleared.time_of_current_version_expiry is None


def test_reuse_rule_refuses_old_content(
    vaults: VaultsClient, bundles: SecretsClient, secret_vault: m.Vault, secret_key: m.Key
) -> None:
    made = create(vaults, secret_vault, secret_key, b"first", secret_rules=[reuse()])
    new_version(vaults, made.id, b"second")
    message = error(new_version, vaults, made.id, b"first", status=400, code="InvalidParameter")
    assert "reuse" in message
    error(new_version, vaults, made.id, b"second", status=400)
    assert sorted(v.version_number for v in vaults.list_secret_versions(made.id).data) == [1, 2]
    assert read(bundles, made.id) == b"second"


def test_reuse_of_deleted_versions_depends_on_the_rule(
    vaults: VaultsClient, secret_vault: m.Vault, secret_key: m.Key, clock: ManualClock
) -> None:
    loose = create(vaults, secret_vault, secret_key, b"old", secret_rules=[reuse(False)])
    strict = create(vaults, secret_vault, secret_key, b"old", secret_rules=[reuse(True)])
    for made in (loose, strict):
        new_version(vaults, made.id, b"mid")
        new_version(vaults, made.id, b"new")  # version 1 is DEPRECATED now
        vaults.schedule_secret_version_deletion(
            made.id,
            1,
            vm.ScheduleSecretVersionDeletionDetails(
                time_of_deletion=clock.now() + timedelta(days=1)
            ),
        )
    clock.advance(timedelta(days=1, seconds=1))
    assert new_version(vaults, loose.id, b"old").current_version_number == 4
    error(new_version, vaults, strict.id, b"old", status=400, code="InvalidParameter")
