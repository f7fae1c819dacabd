"""What depends on a key: the secrets sealed under it (the other keys bound to the same
external key are plain :class:`~strongroom.domain.key.Key` objects)."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.lifecycle import State

__all__ = ["LIVE_SECRET_STATES", "SecretUsingKey"]

# A secret in any other state (PENDING_DELETION, DELETED) no longer needs its key to stay.
LIVE_SECRET_STATES = frozenset(State) - {State.PENDING_DELETION, State.DELETED}


@dataclass(frozen=True)
class SecretUsingKey:
    """A secret (not deleted) whose versions are sealed under a key: its state as of now, and
    how many of its versions are not deleted."""

    id: str
    name: str
    lifecycle_state: State
    versions: int

    @property
    def is_live(self) -> bool:
        """Whether the secret is in use (neither deleted nor pending deletion)."""
        return self.lifecycle_state in LIVE_SECRET_STATES
