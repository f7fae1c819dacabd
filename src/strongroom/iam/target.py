"""What a call acts on, as the policy language sees it: the ``target.*`` variables."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Target"]

# Field -> the name the policy grammar uses after ``target.`` (the most specific resource first).
_RESOURCES = (
    ("key_id", "key.id"),
    ("secret_id", "secret.id"),
    ("vault_id", "vault.id"),
    ("ekms_private_endpoint_id", "ekms-private-endpoint.id"),
    ("policy_id", "policy.id"),
    ("user_id", "user.id"),
    ("group_id", "group.id"),
)
_OTHER = (("compartment_id", "compartment.id"), ("secret_name", "secret.name"))
_VARIABLES = {name: field for field, name in (*_RESOURCES, *_OTHER)}


class Target(NamedTuple):
    """A call's target: its tenancy, its compartment and the resources it names.

    ``tenancy_id`` None means "the caller's tenancy" (no cross-tenancy check is needed);
    ``compartment_id`` None means the tenancy's root compartment. Immutable and hashable, so a
    decision can be cached by it. (A named tuple: one is made on every authorized call, and
    it is made and hashed in a third of the time of a frozen dataclass.)
    """

    tenancy_id: str | None = None
    compartment_id: str | None = None
    vault_id: str | None = None
    key_id: str | None = None
    secret_id: str | None = None
    secret_name: str | None = None
    ekms_private_endpoint_id: str | None = None
    policy_id: str | None = None
    user_id: str | None = None
    group_id: str | None = None

    def get(self, name: str) -> str | None:
        """The value of a grammar variable after ``target.`` (``compartment.id``, ``key.id``...)."""
        if name == "tenancy.id":
            return self.tenancy_id
        field = _VARIABLES.get(name)
        return None if field is None else getattr(self, field)

    def variables(self) -> dict[str, tuple[str, ...]]:
        """Every ``target.*`` variable this target sets (the tenancy is not one of them)."""
        found: dict[str, tuple[str, ...]] = {}
        for field, name in (*_RESOURCES, *_OTHER):
            value = getattr(self, field)
            if value is not None:
                found[f"target.{name}"] = (value,)
        return found

    @property
    def resource_id(self) -> str | None:
        """The most specific resource the target names."""
        for field, _ in _RESOURCES:
            value = getattr(self, field)
            if value is not None:
                return str(value)
        return None

    def moved_to(self, compartment_id: str) -> Target:
        """The same target in another compartment (the destination of a move)."""
        return self._replace(compartment_id=compartment_id)
