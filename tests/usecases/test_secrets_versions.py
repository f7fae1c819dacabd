"""Secret versions through the use cases: stages, PENDING promotion, the reuse rule and the
limit of versions in use."""

from __future__ import annotations

import pytest

from strongroom.domain.errors import IncorrectState, InvalidParameter, LimitExceeded
from strongroom.domain.lifecycle import State
from strongroom.domain.secret import MAX_ACTIVE_VERSIONS, ReuseRule, SecretRules, Stage
from strongroom.services.context import Call
from strongroom.services.ports import Deps
from strongroom.services.secrets import bundles, deletion, updates, versions
from strongroom.services.secrets.lookup import VersionRef
from strongroom.services.secrets.versions import NewContent
from tests.clock import ManualClock
from tests.usecases import secret_support as s
from tests.usecases.secret_support import NewAesKey, NewVault

REUSED = (
    "This content was already used by a version of this secret, and the secret's reuse rule "
    "forbids reusing it"
)


def _bundle(deps: Deps, call: Call, secret_id: str, ref: VersionRef | None = None) -> bytes:
    request = bundles.GetSecretBundleRequest(secret_id, ref or VersionRef())
    return bundles.get_secret_bundle(deps, call, request).content


def test_a_new_current_version_moves_current_to_previous_and_previous_to_deprecated(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    made = s.create(deps, admin_call, new_vault, new_aes_key)
    assert s.stages(deps, admin_call, made.id) == {1: ["CURRENT", "LATEST"]}

    second = s.add_content(deps, admin_call, made.id, b"v2")
    assert (second.current, second.previous, second.latest) == (2, 1, 2)
    assert s.stages(deps, admin_call, made.id) == {1: ["PREVIOUS"], 2: ["CURRENT", "LATEST"]}

    third = s.add_content(deps, admin_call, made.id, b"v3")
    assert (third.current, third.previous, third.latest) == (3, 2, 3)
    assert s.stages(deps, admin_call, made.id) == {
        1: ["DEPRECATED"],
        2: ["PREVIOUS"],
        3: ["CURRENT", "LATEST"],
    }
    assert _bundle(deps, admin_call, made.id) == b"v3"
    assert _bundle(deps, admin_call, made.id, VersionRef(stage=Stage.PREVIOUS)) == b"v2"


def test_a_pending_version_waits_until_current_version_number_promotes_it(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    made = s.create(deps, admin_call, new_vault, new_aes_key)
    pending = s.add_content(deps, admin_call, made.id, b"v2", Stage.PENDING)
    assert (pending.current, pending.latest) == (1, 2)
    assert s.stages(deps, admin_call, made.id) == {1: ["CURRENT"], 2: ["PENDING", "LATEST"]}
    assert _bundle(deps, admin_call, made.id) == b"v1"
    assert _bundle(deps, admin_call, made.id, VersionRef(stage=Stage.PENDING)) == b"v2"

    changes = updates.SecretChanges(current_version=2)
    promoted = updates.update_secret(
        deps, admin_call, updates.UpdateSecretRequest(made.id, changes)
    )
    assert (promoted.current, promoted.previous) == (2, 1)
    assert s.stages(deps, admin_call, made.id) == {1: ["PREVIOUS"], 2: ["CURRENT", "LATEST"]}
    assert _bundle(deps, admin_call, made.id) == b"v2"


def test_content_current_version_and_rules_change_one_at_a_time() -> None:
    with pytest.raises(InvalidParameter, match="cannot be changed in the same call"):
        updates.SecretChanges(content=NewContent(b"x"), current_version=1)
    with pytest.raises(InvalidParameter, match="cannot be changed in the same call"):
        updates.SecretChanges(current_version=1, rules=SecretRules())


def test_new_content_is_current_or_pending_only() -> None:
    with pytest.raises(InvalidParameter, match="must be CURRENT or PENDING"):
        NewContent(b"x", stage=Stage.PREVIOUS)


def test_the_reuse_rule_refuses_content_a_version_of_the_secret_had(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    rules = SecretRules(reuse=ReuseRule())
    made = s.create(deps, admin_call, new_vault, new_aes_key, b"first", rules=rules)
    s.add_content(deps, admin_call, made.id, b"second")
    for old in (b"first", b"second"):
        with pytest.raises(InvalidParameter) as refused:
            s.add_content(deps, admin_call, made.id, old)
        assert refused.value.message == REUSED
    assert s.add_content(deps, admin_call, made.id, b"third").latest == 3

    # Without the rule, content may repeat.
    free = s.create(deps, admin_call, new_vault, new_aes_key, b"same")
    assert s.add_content(deps, admin_call, free.id, b"same").latest == 2


@pytest.mark.parametrize("include_deleted", [False, True])
def test_the_reuse_rule_counts_deleted_versions_only_when_it_says_so(
    deps: Deps,
    admin_call: Call,
    clock: ManualClock,
    new_vault: NewVault,
    new_aes_key: NewAesKey,
    include_deleted: bool,
) -> None:
    rules = SecretRules(reuse=ReuseRule(include_deleted=include_deleted))
    made = s.create(deps, admin_call, new_vault, new_aes_key, b"old", rules=rules)
    s.add_content(deps, admin_call, made.id, b"v2")
    s.add_content(deps, admin_call, made.id, b"v3")  # version 1 is DEPRECATED now
    request = deletion.ScheduleSecretVersionDeletionRequest(made.id, 1)
    scheduled = deletion.schedule_secret_version_deletion(deps, admin_call, request)
    assert scheduled.version.time_of_deletion is not None
    clock.advance(scheduled.version.time_of_deletion - clock.now())
    got = versions.get_secret_version(
        deps, admin_call, versions.GetSecretVersionRequest(made.id, 1)
    )
    assert got.version.lifecycle_state is State.DELETED

    if include_deleted:
        with pytest.raises(InvalidParameter) as refused:
            s.add_content(deps, admin_call, made.id, b"old")
        assert refused.value.message == REUSED
    else:
        assert s.add_content(deps, admin_call, made.id, b"old").latest == 4


def test_at_the_limit_a_new_version_deletes_the_oldest_deprecated_one(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    made = s.create(deps, admin_call, new_vault, new_aes_key)
    for number in range(2, MAX_ACTIVE_VERSIONS + 1):
        s.add_content(deps, admin_call, made.id, f"v{number}".encode())
    shown = s.stages(deps, admin_call, made.id)
    assert len(shown) == MAX_ACTIVE_VERSIONS
    assert shown[1] == shown[MAX_ACTIVE_VERSIONS - 2] == ["DEPRECATED"]

    s.add_content(deps, admin_call, made.id, b"one more")
    oldest = versions.get_secret_version(
        deps, admin_call, versions.GetSecretVersionRequest(made.id, 1)
    ).version
    assert oldest.lifecycle_state is State.DELETED
    assert oldest.content is None and oldest.wrapped_key is None
    with pytest.raises(IncorrectState, match="Secret version 1 is DELETED"):
        _bundle(deps, admin_call, made.id, VersionRef(number=1))
    second = versions.get_secret_version(
        deps, admin_call, versions.GetSecretVersionRequest(made.id, 2)
    ).version
    assert second.lifecycle_state is State.ACTIVE
    assert _bundle(deps, admin_call, made.id) == b"one more"


def test_at_the_limit_with_nothing_deprecated_a_new_version_is_refused(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    made = s.create(deps, admin_call, new_vault, new_aes_key)
    for number in range(2, MAX_ACTIVE_VERSIONS + 1):
        s.add_content(deps, admin_call, made.id, f"v{number}".encode(), Stage.PENDING)
    with pytest.raises(LimitExceeded) as refused:
        s.add_content(deps, admin_call, made.id, b"too many", Stage.PENDING)
    assert refused.value.message == (
        f"A secret may have at most {MAX_ACTIVE_VERSIONS} versions in use, and none of this "
        "secret's is DEPRECATED to make room"
    )
    assert len(s.stages(deps, admin_call, made.id)) == MAX_ACTIVE_VERSIONS
