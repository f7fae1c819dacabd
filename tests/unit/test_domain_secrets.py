"""Pure secret rules: stage transitions, limits, expiry, rotation timing, names and content."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.domain.errors import IncorrectState, InvalidParameter
from strongroom.domain.lifecycle import State
from strongroom.domain.secret import (
    MAX_ACTIVE_VERSIONS,
    MAX_CONTENT,
    ExpiryRule,
    RotationConfig,
    SecretRules,
    SecretVersion,
    Stage,
    check_content,
    secret_name,
)
from strongroom.domain.secret_rules import (
    check_retrievable,
    check_rotation,
    check_rules,
    days_text,
    needs_pruning,
    next_rotation,
    parse_days,
    promote,
    stages_of,
    version_expiry,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _version(number: int, stage: Stage) -> SecretVersion:
    return SecretVersion("s", number, stage, State.ACTIVE, T0, b"d", "kv", b"w", b"c")


# --- stages ---------------------------------------------------------------------------------


def test_first_version_becomes_current() -> None:
    first = promote(None, None, 1)
    assert (first.current, first.previous, first.changes) == (1, None, {1: Stage.CURRENT})


def test_new_current_moves_current_to_previous_and_previous_to_deprecated() -> None:
    step = promote(2, 1, 3)
    assert (step.current, step.previous) == (3, 2)
    assert step.changes == {3: Stage.CURRENT, 2: Stage.PREVIOUS, 1: Stage.DEPRECATED}


def test_promoting_the_previous_version_swaps_them() -> None:
    step = promote(3, 2, 2)
    assert (step.current, step.previous) == (2, 3)
    assert step.changes == {2: Stage.CURRENT, 3: Stage.PREVIOUS}


def test_promoting_the_current_version_changes_nothing() -> None:
    step = promote(3, 2, 3)
    assert (step.current, step.previous, step.changes) == (3, 2, {})


@given(st.lists(st.integers(min_value=1, max_value=8), min_size=1, max_size=30))
def test_one_current_and_at_most_one_previous_whatever_the_order(sequence: list[int]) -> None:
    """Replaying promotions over versions 1-8 keeps exactly one CURRENT, at most one PREVIOUS."""
    stages = {n: Stage.PENDING for n in range(1, 9)}
    current: int | None = None
    previous: int | None = None
    for number in sequence:
        step = promote(current, previous, number)
        stages.update(step.changes)
        current, previous = step.current, step.previous
        assert [n for n, s in stages.items() if s is Stage.CURRENT] == [current]
        holders = [n for n, s in stages.items() if s is Stage.PREVIOUS]
        assert holders == ([previous] if previous is not None else [])
        assert previous != current


def test_latest_is_derived() -> None:
    assert stages_of(_version(3, Stage.CURRENT), latest=3) == ["CURRENT", "LATEST"]
    assert stages_of(_version(4, Stage.PENDING), latest=4) == ["PENDING", "LATEST"]
    assert stages_of(_version(2, Stage.PREVIOUS), latest=4) == ["PREVIOUS"]


def test_pruning_starts_at_the_limit() -> None:
    assert not needs_pruning(MAX_ACTIVE_VERSIONS - 1)
    assert needs_pruning(MAX_ACTIVE_VERSIONS)


# --- durations and rules ----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "days"), [("P1D", 1), ("P90D", 90), ("P30D", 30)])
def test_days(text: str, days: int) -> None:
    assert parse_days(text, "x", 1, 90) == days
    assert days_text(days) == text


@pytest.mark.parametrize("text", ["P0D", "P91D", "PT1H", "P1W", "1D", "", None, 3, "P1.5D"])
def test_bad_days(text: object) -> None:
    with pytest.raises(InvalidParameter, match="between P1D and P90D"):
        parse_days(text, "x", 1, 90)


def test_expiry_is_the_earlier_of_interval_and_absolute() -> None:
    assert version_expiry(T0, None) is None
    assert version_expiry(T0, ExpiryRule(interval_days=3)) == T0 + 3 * DAY
    both = ExpiryRule(interval_days=3, absolute=T0 + 2 * DAY)
    assert version_expiry(T0, both) == T0 + 2 * DAY
    assert version_expiry(T0, ExpiryRule(absolute=T0 + 5 * DAY)) == T0 + 5 * DAY


def test_blocked_retrieval_only_when_expired_and_blocking() -> None:
    blocking = SecretRules(expiry=ExpiryRule(interval_days=1, block_on_expiry=True))
    check_retrievable(T0, blocking, T0 + DAY - timedelta(seconds=1))
    with pytest.raises(IncorrectState, match="expired"):
        check_retrievable(T0, blocking, T0 + DAY)
    lenient = SecretRules(expiry=ExpiryRule(interval_days=1))
    check_retrievable(T0, lenient, T0 + 10 * DAY)
    check_retrievable(T0, SecretRules(), T0 + 1000 * DAY)


def test_absolute_expiry_window() -> None:
    check_rules(SecretRules(expiry=ExpiryRule(absolute=T0 + DAY)), T0)
    check_rules(SecretRules(expiry=ExpiryRule(absolute=T0 + 365 * DAY)), T0)
    for when in (T0 + timedelta(hours=23), T0 + 366 * DAY, T0 - DAY):
        with pytest.raises(InvalidParameter, match="timeOfAbsoluteExpiry"):
            check_rules(SecretRules(expiry=ExpiryRule(absolute=when)), T0)
    with pytest.raises(InvalidParameter, match="needs"):
        check_rules(SecretRules(expiry=ExpiryRule()), T0)


# --- rotation ---------------------------------------------------------------------------------


def test_next_rotation() -> None:
    assert next_rotation(None, T0) is None
    assert next_rotation(RotationConfig(30, scheduled=False), T0) is None
    assert next_rotation(RotationConfig(30, scheduled=True), T0) == T0 + 30 * DAY


def test_scheduled_rotation_needs_an_interval_and_generation() -> None:
    check_rotation(None, False)
    check_rotation(RotationConfig(30, scheduled=False), False)
    check_rotation(RotationConfig(30, scheduled=True), True)
    with pytest.raises(InvalidParameter, match="rotationInterval"):
        check_rotation(RotationConfig(None, scheduled=True), True)
    with pytest.raises(InvalidParameter, match="not supported"):
        check_rotation(RotationConfig(30, scheduled=True), False)


# --- names and content ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "db.password-1_x", "A" * 255])
def test_good_names(name: str) -> None:
    assert secret_name(name) == name


@pytest.mark.parametrize("name", ["", "a b", "a/b", "é", "A" * 256, None, 5])
def test_bad_names(name: object) -> None:
    with pytest.raises(InvalidParameter):
        secret_name(name)


def test_content_limits() -> None:
    assert check_content(b"x" * MAX_CONTENT) == b"x" * MAX_CONTENT
    for bad in (b"", b"x" * (MAX_CONTENT + 1)):
        with pytest.raises(InvalidParameter):
            check_content(bad)
