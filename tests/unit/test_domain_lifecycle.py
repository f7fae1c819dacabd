"""Deletion windows and effective lifecycle states, with time injected (no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.domain.errors import IncorrectState, InvalidParameter
from strongroom.domain.key import (
    KEY_DELETION_DAYS,
    Key,
    KeyVersion,
    Origin,
    ProtectionMode,
    make_shape,
)
from strongroom.domain.lifecycle import (
    DEFAULT_DELETION_DAYS,
    State,
    deletion_time,
    effective_state,
    require_state,
)
from strongroom.domain.paging import PageRequest, cut
from strongroom.domain.vault import VAULT_DELETION_DAYS, Vault, VaultType

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
MIN_DAYS, MAX_DAYS = KEY_DELETION_DAYS


def test_deletion_windows_are_seven_to_thirty_days() -> None:
    assert KEY_DELETION_DAYS == (7, 30)
    assert VAULT_DELETION_DAYS == (7, 30)


def test_default_deletion_time_is_thirty_days() -> None:
    assert deletion_time(NOW, None, 7, 30) == NOW + timedelta(days=DEFAULT_DELETION_DAYS)


def test_default_deletion_time_never_exceeds_a_shorter_maximum() -> None:
    assert deletion_time(NOW, None, 1, 14) == NOW + timedelta(days=14)


@pytest.mark.parametrize(
    "offset",
    [
        timedelta(days=7),
        timedelta(days=7) - timedelta(minutes=4),  # small clock slack is tolerated
        timedelta(days=15, hours=3),
        timedelta(days=30),
        timedelta(days=30) + timedelta(minutes=4),
    ],
)
def test_requested_deletion_time_inside_the_window_is_kept(offset: timedelta) -> None:
    requested = NOW + offset
    assert deletion_time(NOW, requested, MIN_DAYS, MAX_DAYS) == requested


@pytest.mark.parametrize(
    "offset",
    [
        timedelta(0),
        timedelta(days=-1),
        timedelta(days=6, hours=23),
        timedelta(days=7) - timedelta(minutes=6),
        timedelta(days=30) + timedelta(minutes=6),
        timedelta(days=31),
        timedelta(days=365),
    ],
)
def test_requested_deletion_time_outside_the_window_is_refused(offset: timedelta) -> None:
    with pytest.raises(InvalidParameter, match="between 7 and 30 days"):
        deletion_time(NOW, NOW + offset, MIN_DAYS, MAX_DAYS)


def test_requested_deletion_time_in_another_zone_is_the_same_instant() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    requested = (NOW + timedelta(days=10)).astimezone(ist)
    assert deletion_time(NOW, requested, MIN_DAYS, MAX_DAYS) == NOW + timedelta(days=10)


def test_naive_requested_deletion_time_is_refused() -> None:
    naive = (NOW + timedelta(days=10)).replace(tzinfo=None)
    with pytest.raises(InvalidParameter, match="time zone"):
        deletion_time(NOW, naive, MIN_DAYS, MAX_DAYS)


@given(st.integers(min_value=-2 * 24 * 60, max_value=40 * 24 * 60))
def test_deletion_window_boundaries(minutes: int) -> None:
    requested = NOW + timedelta(minutes=minutes)
    inside = 7 * 24 * 60 - 5 <= minutes <= 30 * 24 * 60 + 5
    if inside:
        assert deletion_time(NOW, requested, 7, 30) == requested
    else:
        with pytest.raises(InvalidParameter):
            deletion_time(NOW, requested, 7, 30)


def test_pending_deletion_becomes_deleted_on_time() -> None:
    due = NOW + timedelta(days=7)
    assert effective_state(State.PENDING_DELETION, due, NOW) is State.PENDING_DELETION
    assert effective_state(State.PENDING_DELETION, due, due - timedelta(microseconds=1)) is (
        State.PENDING_DELETION
    )
    assert effective_state(State.PENDING_DELETION, due, due) is State.DELETED
    assert effective_state(State.PENDING_DELETION, due, due + timedelta(days=1)) is State.DELETED


def test_pending_deletion_without_a_time_stays_pending() -> None:
    assert effective_state(State.PENDING_DELETION, None, NOW) is State.PENDING_DELETION


@pytest.mark.parametrize("state", [s for s in State if s is not State.PENDING_DELETION])
def test_other_states_ignore_a_stale_deletion_time(state: State) -> None:
    assert effective_state(state, NOW - timedelta(days=1), NOW) is state


def test_require_state() -> None:
    require_state(State.ENABLED, (State.ENABLED, State.DISABLED), "key")
    with pytest.raises(IncorrectState, match="The key is DELETED; this operation needs ENABLED"):
        require_state(State.DELETED, (State.ENABLED,), "key")


def _vault(state: State, time_of_deletion: datetime | None) -> Vault:
    return Vault(
        id="ocid1.vault.oc1.r1..aaaa",
        tenancy_id="ocid1.tenancy.oc1..aaaa",
        compartment_id="ocid1.tenancy.oc1..aaaa",
        display_name="v",
        vault_type=VaultType.DEFAULT,
        lifecycle_state=state,
        time_created=NOW,
        time_of_deletion=time_of_deletion,
    )


def test_vault_usability_follows_the_effective_state() -> None:
    assert _vault(State.ACTIVE, None).is_usable(NOW)
    pending = _vault(State.PENDING_DELETION, NOW + timedelta(days=7))
    assert not pending.is_usable(NOW)
    assert pending.state_at(NOW + timedelta(days=8)) is State.DELETED


def test_key_and_version_state_at() -> None:
    due = NOW + timedelta(days=7)
    key = Key(
        id="ocid1.key.oc1.r1..aaaa",
        tenancy_id="t",
        compartment_id="c",
        vault_id="v",
        display_name="k",
        shape=make_shape("AES", 32, None),
        protection_mode=ProtectionMode.SOFTWARE,
        lifecycle_state=State.PENDING_DELETION,
        current_version_id="kv",
        time_created=NOW,
        time_of_deletion=due,
    )
    version = KeyVersion(
        id="kv",
        key_id=key.id,
        tenancy_id="t",
        compartment_id="c",
        vault_id="v",
        lifecycle_state=State.PENDING_DELETION,
        origin=Origin.INTERNAL,
        time_created=NOW,
        time_of_deletion=due,
    )
    for resource in (key, version):
        assert resource.state_at(NOW) is State.PENDING_DELETION
        assert resource.state_at(due) is State.DELETED


def test_cut_turns_limit_plus_one_rows_into_a_page() -> None:
    page = PageRequest(limit=3, offset=6)
    full = cut([1, 2, 3, 4], page)
    assert full.items == [1, 2, 3]
    assert full.next_offset == 9
    last = cut([1, 2, 3], page)
    assert last.items == [1, 2, 3]
    assert last.next_offset is None
    assert cut([], page).next_offset is None
