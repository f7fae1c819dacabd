"""Cross-region replication of secrets: where a secret is replicated, and where a replica
comes from (OCI's ReplicationConfig, ReplicationTarget and SourceRegionInformation)."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.errors import InvalidParameter

__all__ = [
    "MAX_TARGETS",
    "ReplicationConfig",
    "ReplicationTarget",
    "SourceRegion",
    "check_replication",
]

MAX_TARGETS = 3


@dataclass(frozen=True)
class ReplicationTarget:
    """A region a secret is replicated to, with the vault and key its replica lives under."""

    region: str
    vault_id: str
    key_id: str


@dataclass(frozen=True)
class ReplicationConfig:
    """Where a source secret is replicated; whether its replicas forward writes to it."""

    targets: tuple[ReplicationTarget, ...] = ()
    write_forward: bool = False

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(t.region for t in self.targets)

    def target(self, region: str) -> ReplicationTarget | None:
        return next((t for t in self.targets if t.region == region), None)


@dataclass(frozen=True)
class SourceRegion:
    """Where a replica's source lives (OCI's SourceRegionInformation)."""

    region: str
    vault_id: str
    key_id: str


def check_replication(config: ReplicationConfig, own_region: str) -> ReplicationConfig:
    """``config`` if it is well formed: at most 3 targets, distinct regions, not this one."""
    if len(config.targets) > MAX_TARGETS:
        raise InvalidParameter(
            f"replicationConfig.replicationTargets may name at most {MAX_TARGETS} regions"
        )
    regions = config.regions
    if len(set(regions)) != len(regions):
        raise InvalidParameter("replicationConfig.replicationTargets names a region twice")
    if own_region in regions:
        raise InvalidParameter(f"A secret cannot be replicated to its own region ({own_region})")
    return config
