"""Vaults: containers of keys (and later secrets) with their own endpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from strongroom.domain.ekm import ExternalKeyManager
from strongroom.domain.lifecycle import State, effective_state
from strongroom.domain.tags import DefinedTags, FreeformTags

__all__ = ["VAULT_DELETION_DAYS", "Vault", "VaultType"]


class VaultType(StrEnum):
    """OCI vault types; EXTERNAL vaults forward crypto to an external key manager."""

    DEFAULT = "DEFAULT"
    VIRTUAL_PRIVATE = "VIRTUAL_PRIVATE"
    EXTERNAL = "EXTERNAL"


VAULT_DELETION_DAYS = (7, 30)


@dataclass
class Vault:
    """A vault as stored; ``version`` increases on every change and feeds the etag."""

    id: str
    tenancy_id: str
    compartment_id: str
    display_name: str
    vault_type: VaultType
    lifecycle_state: State
    time_created: datetime
    time_of_deletion: datetime | None = None
    freeform_tags: FreeformTags = field(default_factory=dict)
    defined_tags: DefinedTags = field(default_factory=dict)
    version: int = 1
    # EXTERNAL vaults only: how to reach the external key manager (secret kept sealed).
    external: ExternalKeyManager | None = None

    def state_at(self, now: datetime) -> State:
        """The state as seen at ``now`` (scheduled deletions take effect on time)."""
        return effective_state(self.lifecycle_state, self.time_of_deletion, now)

    def is_usable(self, now: datetime) -> bool:
        """Whether keys in this vault may be used or created."""
        return self.state_at(now) is State.ACTIVE
