"""Lifecycle states and the deletion-window rules shared by vaults, keys and key versions."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from strongroom.domain.errors import IncorrectState, InvalidParameter

__all__ = ["DEFAULT_DELETION_DAYS", "State", "deletion_time", "effective_state", "require_state"]


class State(StrEnum):
    """Lifecycle states used by vaults, keys and key versions (OCI's names)."""

    CREATING = "CREATING"
    ACTIVE = "ACTIVE"
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"
    PENDING_DELETION = "PENDING_DELETION"
    DELETED = "DELETED"


DEFAULT_DELETION_DAYS = 30


def deletion_time(
    now: datetime, requested: datetime | None, min_days: int, max_days: int
) -> datetime:
    """When a resource scheduled for deletion at ``now`` goes away.

    OCI's window is measured from the request; a requested time outside [min, max] days is refused.
    """
    if requested is None:
        return now + timedelta(days=DEFAULT_DELETION_DAYS if max_days >= 30 else max_days)
    if requested.tzinfo is None:
        raise InvalidParameter("timeOfDeletion must carry a time zone (RFC 3339)")
    earliest = now + timedelta(days=min_days) - timedelta(minutes=5)
    latest = now + timedelta(days=max_days) + timedelta(minutes=5)
    if not earliest <= requested <= latest:
        raise InvalidParameter(
            f"timeOfDeletion must be between {min_days} and {max_days} days from now"
        )
    return requested


def effective_state(state: State, time_of_deletion: datetime | None, now: datetime) -> State:
    """A PENDING_DELETION resource whose time has come is DELETED, whether or not it was swept."""
    if state is State.PENDING_DELETION and time_of_deletion is not None and time_of_deletion <= now:
        return State.DELETED
    return state


def require_state(actual: State, allowed: tuple[State, ...], what: str) -> None:
    """Raise IncorrectState unless ``actual`` is one of ``allowed``."""
    if actual not in allowed:
        raise IncorrectState(
            f"The {what} is {actual.value}; this operation needs {_names(allowed)}",
            actual.value,
        )


def _names(states: tuple[State, ...]) -> str:
    return " or ".join(s.value for s in states)
