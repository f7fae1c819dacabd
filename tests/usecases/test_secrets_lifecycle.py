"""Secret lifecycles through the use cases, timed by the manual clock: the expiry rule,
deletion windows of secrets and versions, and rotation now and on schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from strongroom.domain.errors import IncorrectState, InvalidParameter
from strongroom.domain.lifecycle import State
from strongroom.domain.paging import PageRequest
from strongroom.domain.secret import (
    ExpiryRule,
    GenerationContext,
    RotationConfig,
    Secret,
    SecretRules,
)
from strongroom.services.context import Call
from strongroom.services.ports import Deps
from strongroom.services.secrets import bundles, deletion, rotation, secrets, versions
from strongroom.services.secrets.rotation import rotate_due_secrets
from tests.clock import ManualClock
from tests.usecases import secret_support as s
from tests.usecases.secret_support import NewAesKey, NewVault

WINDOW = "timeOfDeletion must be between 1 and 30 days from now"
PASSPHRASE = GenerationContext("PASSPHRASE", "SECRETS_DEFAULT_PASSWORD", passphrase_length=20)


def _bundle(deps: Deps, call: Call, secret_id: str) -> bytes:
    request = bundles.GetSecretBundleRequest(secret_id)
    return bundles.get_secret_bundle(deps, call, request).content


def _secret(deps: Deps, call: Call, secret_id: str) -> Secret:
    return secrets.get_secret(deps, call, secrets.GetSecretRequest(secret_id))


# --- expiry rule ---------------------------------------------------------------------------


def test_an_expired_version_is_refused_when_the_rule_blocks_retrieval(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    rules = SecretRules(expiry=ExpiryRule(interval_days=2, block_on_expiry=True))
    made = s.create(deps, admin_call, new_vault, new_aes_key, rules=rules)
    assert made.time_of_current_version_expiry == made.time_created + timedelta(days=2)

    clock.advance(timedelta(days=2) - timedelta(seconds=1))
    assert _bundle(deps, admin_call, made.id) == b"v1"
    clock.advance(timedelta(seconds=1))
    with pytest.raises(IncorrectState, match="blocks retrieval of expired content"):
        _bundle(deps, admin_call, made.id)

    # A new version has its own expiry, counted from its creation.
    renewed = s.add_content(deps, admin_call, made.id, b"v2")
    assert renewed.time_of_current_version_expiry == clock.now() + timedelta(days=2)
    assert _bundle(deps, admin_call, made.id) == b"v2"


def test_an_expired_version_stays_readable_when_the_rule_does_not_block(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    rules = SecretRules(expiry=ExpiryRule(interval_days=1))
    made = s.create(deps, admin_call, new_vault, new_aes_key, rules=rules)
    clock.advance(timedelta(days=3))
    assert _bundle(deps, admin_call, made.id) == b"v1"


def test_the_earlier_of_interval_and_absolute_time_is_the_expiry(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    absolute = clock.now() + timedelta(days=3)
    rule = ExpiryRule(interval_days=10, absolute=absolute, block_on_expiry=True)
    made = s.create(deps, admin_call, new_vault, new_aes_key, rules=SecretRules(expiry=rule))
    assert made.time_of_current_version_expiry == absolute
    clock.advance(absolute - clock.now())
    with pytest.raises(IncorrectState, match="expired at"):
        _bundle(deps, admin_call, made.id)


@pytest.mark.parametrize("days", [0, 366])
def test_an_absolute_expiry_is_one_to_365_days_ahead(
    deps: Deps,
    admin_call: Call,
    clock: ManualClock,
    new_vault: NewVault,
    new_aes_key: NewAesKey,
    days: int,
) -> None:
    rule = ExpiryRule(absolute=clock.now() + timedelta(days=days, hours=1))
    with pytest.raises(InvalidParameter) as refused:
        s.create(deps, admin_call, new_vault, new_aes_key, rules=SecretRules(expiry=rule))
    assert refused.value.message == "timeOfAbsoluteExpiry must be between 1 and 365 days from now"


# --- deletion windows ----------------------------------------------------------------------


@pytest.mark.parametrize("delta", [timedelta(hours=23), timedelta(days=31)])
def test_a_secret_is_deleted_one_to_thirty_days_ahead(
    deps: Deps,
    admin_call: Call,
    clock: ManualClock,
    new_vault: NewVault,
    new_aes_key: NewAesKey,
    delta: timedelta,
) -> None:
    made = s.create(deps, admin_call, new_vault, new_aes_key)
    for fine in (timedelta(days=1), timedelta(days=30)):
        request = deletion.ScheduleSecretDeletionRequest(made.id, clock.now() + fine)
        scheduled = deletion.schedule_secret_deletion(deps, admin_call, request)
        assert scheduled.time_of_deletion == clock.now() + fine
        cancel = deletion.CancelSecretDeletionRequest(made.id)
        assert deletion.cancel_secret_deletion(deps, admin_call, cancel).time_of_deletion is None
    request = deletion.ScheduleSecretDeletionRequest(made.id, clock.now() + delta)
    with pytest.raises(InvalidParameter) as refused:
        deletion.schedule_secret_deletion(deps, admin_call, request)
    assert refused.value.message == WINDOW
    assert _secret(deps, admin_call, made.id).lifecycle_state is State.ACTIVE


def test_a_secret_pending_deletion_is_unreadable_and_deleted_when_its_time_comes(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    made = s.create(deps, admin_call, new_vault, new_aes_key)
    request = deletion.ScheduleSecretDeletionRequest(made.id)  # 30 days by default
    scheduled = deletion.schedule_secret_deletion(deps, admin_call, request)
    assert scheduled.lifecycle_state is State.PENDING_DELETION
    assert scheduled.time_of_deletion == clock.now() + timedelta(days=30)
    with pytest.raises(IncorrectState, match="The secret is PENDING_DELETION"):
        _bundle(deps, admin_call, made.id)

    clock.advance(timedelta(days=30))
    assert _secret(deps, admin_call, made.id).lifecycle_state is State.DELETED
    with pytest.raises(IncorrectState):  # too late to cancel
        deletion.cancel_secret_deletion(
            deps, admin_call, deletion.CancelSecretDeletionRequest(made.id)
        )


def test_only_a_deprecated_version_is_deleted_one_to_thirty_days_ahead(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    made = s.create(deps, admin_call, new_vault, new_aes_key)
    s.add_content(deps, admin_call, made.id, b"v2")
    schedule = deletion.ScheduleSecretVersionDeletionRequest
    with pytest.raises(IncorrectState) as refused:
        deletion.schedule_secret_version_deletion(deps, admin_call, schedule(made.id, 1))
    assert refused.value.message == (
        "Secret version 1 is PREVIOUS; only DEPRECATED versions can be deleted"
    )
    s.add_content(deps, admin_call, made.id, b"v3")  # version 1 is DEPRECATED now
    for wrong in (timedelta(hours=23), timedelta(days=31)):
        with pytest.raises(InvalidParameter) as bad_window:
            request = schedule(made.id, 1, clock.now() + wrong)
            deletion.schedule_secret_version_deletion(deps, admin_call, request)
        assert bad_window.value.message == WINDOW

    when = clock.now() + timedelta(days=1)
    scheduled = deletion.schedule_secret_version_deletion(
        deps, admin_call, schedule(made.id, 1, when)
    )
    assert scheduled.version.lifecycle_state is State.PENDING_DELETION
    assert scheduled.version.time_of_deletion == when
    cancel = deletion.CancelSecretVersionDeletionRequest(made.id, 1)
    back = deletion.cancel_secret_version_deletion(deps, admin_call, cancel)
    assert back.version.lifecycle_state is State.ACTIVE

    deletion.schedule_secret_version_deletion(deps, admin_call, schedule(made.id, 1, when))
    clock.advance(when - clock.now())
    got = versions.get_secret_version(
        deps, admin_call, versions.GetSecretVersionRequest(made.id, 1)
    )
    assert got.version.lifecycle_state is State.DELETED


# --- rotation ------------------------------------------------------------------------------


def test_a_scheduled_rotation_comes_due_on_the_manual_clock(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    made = s.create(
        deps,
        admin_call,
        new_vault,
        new_aes_key,
        content=None,
        generation=PASSPHRASE,
        auto_generation=True,
        rotation=RotationConfig(interval_days=1, scheduled=True),
    )
    assert made.next_rotation_time == made.time_created + timedelta(days=1)
    first = _bundle(deps, admin_call, made.id)
    assert len(first) == 20

    clock.advance(timedelta(days=1) - timedelta(seconds=1))
    rotate_due_secrets(deps)
    assert _secret(deps, admin_call, made.id).latest == 1  # not due yet

    clock.advance(timedelta(seconds=1))
    assert rotate_due_secrets(deps) >= 1
    rotated = _secret(deps, admin_call, made.id)
    assert (rotated.latest, rotated.current, rotated.previous) == (2, 2, 1)
    assert rotated.last_rotation_time == clock.now()
    assert rotated.next_rotation_time == clock.now() + timedelta(days=1)
    assert _bundle(deps, admin_call, made.id) not in (b"", first)
    assert s.stages(deps, admin_call, made.id) == {1: ["PREVIOUS"], 2: ["CURRENT", "LATEST"]}

    cancel = rotation.CancelSecretRotationRequest(made.id)
    cancelled = rotation.cancel_secret_rotation(deps, admin_call, cancel)
    assert cancelled.next_rotation_time is None
    assert cancelled.rotation == RotationConfig(interval_days=1, scheduled=False)
    clock.advance(timedelta(days=2))
    rotate_due_secrets(deps)
    assert _secret(deps, admin_call, made.id).latest == 2


def test_rotate_now_makes_a_generated_current_version(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    made = s.create(
        deps,
        admin_call,
        new_vault,
        new_aes_key,
        content=None,
        generation=PASSPHRASE,
        auto_generation=True,
    )
    rotated = rotation.rotate_secret(deps, admin_call, rotation.RotateSecretRequest(made.id))
    assert (rotated.latest, rotated.current) == (2, 2)
    assert rotated.next_rotation_time is None  # no schedule
    listed = versions.list_secret_versions(
        deps, admin_call, versions.ListSecretVersionsRequest(made.id, PageRequest())
    )
    assert [v.auto_generated for v in listed.page.items] == [True, True]

    given = s.create(deps, admin_call, new_vault, new_aes_key)
    with pytest.raises(InvalidParameter, match="Only secrets with enableAutoGeneration"):
        rotation.rotate_secret(deps, admin_call, rotation.RotateSecretRequest(given.id))
