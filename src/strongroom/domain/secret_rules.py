"""Pure rules of secrets: stage transitions, version limits, expiry, rotation timing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from strongroom.domain.errors import IncorrectState, InvalidParameter
from strongroom.domain.secret import (
    MAX_ACTIVE_VERSIONS,
    ExpiryRule,
    RotationConfig,
    SecretRules,
    SecretVersion,
    Stage,
)

__all__ = [
    "ABSOLUTE_EXPIRY_DAYS",
    "EXPIRY_INTERVAL_DAYS",
    "ROTATION_INTERVAL_DAYS",
    "Promotion",
    "check_retrievable",
    "check_rotation",
    "check_rules",
    "days_text",
    "needs_pruning",
    "next_rotation",
    "parse_days",
    "promote",
    "stages_of",
    "version_expiry",
]

EXPIRY_INTERVAL_DAYS = (1, 90)
ABSOLUTE_EXPIRY_DAYS = (1, 365)
ROTATION_INTERVAL_DAYS = (1, 360)
_DAYS = re.compile(r"^P([0-9]{1,4})D$")
_SLACK = timedelta(minutes=5)


def parse_days(value: object, field_name: str, low: int, high: int) -> int:
    """An ISO 8601 duration in whole days (``P30D``) between ``low`` and ``high`` days."""
    match = _DAYS.fullmatch(value) if isinstance(value, str) else None
    days = int(match.group(1)) if match else 0
    if not low <= days <= high:
        raise InvalidParameter(
            f"{field_name} must be an ISO 8601 duration in days between P{low}D and P{high}D"
        )
    return days


def days_text(days: int | None) -> str | None:
    """The ISO 8601 form of a number of days."""
    return None if days is None else f"P{days}D"


@dataclass(frozen=True)
class Promotion:
    """The stages after a version becomes CURRENT: new pointers and per-version changes."""

    current: int
    previous: int | None
    changes: dict[int, Stage] = field(default_factory=dict)


def promote(current: int | None, previous: int | None, promoted: int) -> Promotion:
    """``promoted`` becomes CURRENT; the old CURRENT becomes PREVIOUS, the old PREVIOUS DEPRECATED.

    Versions in other stages (PENDING, DEPRECATED) keep theirs. Promoting the CURRENT version
    changes nothing.
    """
    if promoted == current:
        return Promotion(promoted, previous)
    changes = {promoted: Stage.CURRENT}
    if previous is not None and previous != promoted:
        changes[previous] = Stage.DEPRECATED
    if current is not None:
        changes[current] = Stage.PREVIOUS
    return Promotion(promoted, current, changes)


def stages_of(version: SecretVersion, latest: int) -> list[str]:
    """OCI's stages list: the version's own stage, and LATEST for the newest version."""
    stages = [version.stage.value]
    if version.number == latest:
        stages.append(Stage.LATEST.value)
    return stages


def needs_pruning(active_versions: int) -> bool:
    """Whether one more version would exceed the limit of versions in use.

    Strongroom's choice where OCI refuses: the oldest DEPRECATED version is deleted (its
    content destroyed, its digest kept for the reuse rule) to make room; only when there is
    none is the new version refused.
    """
    return active_versions + 1 > MAX_ACTIVE_VERSIONS


def check_rules(rules: SecretRules, now: datetime) -> None:
    """An expiry rule needs an interval or an absolute time, the latter 1-365 days ahead."""
    rule = rules.expiry
    if rule is None:
        return
    if rule.interval_days is None and rule.absolute is None:
        raise InvalidParameter(
            "SECRET_EXPIRY_RULE needs secretVersionExpiryInterval or timeOfAbsoluteExpiry"
        )
    if rule.absolute is not None:
        low, high = ABSOLUTE_EXPIRY_DAYS
        if not now + timedelta(days=low) - _SLACK <= rule.absolute <= now + timedelta(days=high):
            raise InvalidParameter(
                f"timeOfAbsoluteExpiry must be between {low} and {high} days from now"
            )


def version_expiry(created: datetime, rule: ExpiryRule | None) -> datetime | None:
    """When a version created at ``created`` expires: the earlier of interval and absolute."""
    if rule is None:
        return None
    candidates = [rule.absolute] if rule.absolute is not None else []
    if rule.interval_days is not None:
        candidates.append(created + timedelta(days=rule.interval_days))
    return min(candidates) if candidates else None


def check_retrievable(created: datetime, rules: SecretRules, now: datetime) -> None:
    """Refuse the content of an expired version when the expiry rule blocks retrieval."""
    rule = rules.expiry
    if rule is None or not rule.block_on_expiry:
        return
    expiry = version_expiry(created, rule)
    if expiry is not None and expiry <= now:
        raise IncorrectState(
            f"The secret version expired at {expiry.isoformat()} and the secret's expiry rule "
            "blocks retrieval of expired content; update the secret or its rule"
        )


def next_rotation(config: RotationConfig | None, after: datetime) -> datetime | None:
    """When a secret rotated (or configured) at ``after`` rotates next, if scheduled."""
    if config is None or not config.scheduled or config.interval_days is None:
        return None
    return after + timedelta(days=config.interval_days)


def check_rotation(config: RotationConfig | None, auto_generation: bool) -> None:
    """Scheduled rotation needs an interval and generated content (no target systems here)."""
    if config is None or not config.scheduled:
        return
    if config.interval_days is None:
        raise InvalidParameter("rotationConfig.rotationInterval is required for scheduled rotation")
    if not auto_generation:
        raise InvalidParameter(
            "Scheduled rotation needs enableAutoGeneration with a secretGenerationContext; "
            "rotation through target systems is not supported"
        )
