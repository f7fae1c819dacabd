"""The compartment tree as pure data: ancestry and name-path resolution."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["MAX_DEPTH", "CompartmentTree"]

MAX_DEPTH = 10  # OCI allows six levels below the root; a little headroom, and a stop for cycles


@dataclass(frozen=True)
class CompartmentTree:
    """``parents`` maps each compartment id to its parent (the tenancy's parent is None)."""

    tenancy_id: str
    parents: Mapping[str, str | None]
    names: Mapping[str, str] = field(default_factory=dict)

    def ancestors(self, compartment_id: str) -> tuple[str, ...]:
        """The compartment, its parent, ... up to the tenancy; empty if unknown or cyclic."""
        chain: list[str] = []
        current: str | None = compartment_id
        while current is not None:
            if current in chain or len(chain) > MAX_DEPTH or current not in self.parents:
                return ()
            chain.append(current)
            current = self.parents[current]
        return tuple(chain) if chain[-1] == self.tenancy_id else ()

    def child_named(self, parent_id: str, name: str) -> str | None:
        """The child of ``parent_id`` called ``name`` (case-insensitive), if any."""
        wanted = name.lower()
        for child, parent in self.parents.items():
            if parent == parent_id and self.names.get(child, "").lower() == wanted:
                return child
        return None

    def resolve_path(self, base_id: str, path: tuple[str, ...]) -> str | None:
        """Follow ``A:B:C`` from ``base_id`` down through child names."""
        current: str | None = base_id
        for name in path:
            if current is None:
                return None
            current = self.child_named(current, name)
        return current
