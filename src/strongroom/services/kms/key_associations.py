"""ListKeyAssociations: what depends on a key, for an operator about to disable it or
schedule its deletion; and the refusal to schedule the deletion of a key live secrets need
(``keys.ScheduleKeyDeletionRequest.refuse_if_protecting_secrets``)."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.errors import KeyInUse
from strongroom.domain.key import Key
from strongroom.domain.key_associations import SecretUsingKey
from strongroom.services.context import Call
from strongroom.services.lookup import key_by_id, key_in_vault
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "KeyAssociations",
    "ListKeyAssociationsRequest",
    "list_key_associations",
    "refuse_if_protecting_secrets",
]


@dataclass(frozen=True)
class ListKeyAssociationsRequest:
    """Input of ListKeyAssociations: the key, named without its vault."""

    key_id: str


@dataclass(frozen=True)
class KeyAssociations:
    """What depends on ``key``: the secrets sealed under it that are not deleted (by name), and
    for an EXTERNAL key the other keys of the tenancy, not deleted, bound to the same key of
    the same external key manager (states as of now)."""

    key: Key
    secrets: tuple[SecretUsingKey, ...]
    keys_sharing_external_key: tuple[Key, ...]

    @property
    def live_secrets(self) -> int:
        """How many of the secrets are in use (neither deleted nor pending deletion)."""
        return sum(1 for s in self.secrets if s.is_live)


def list_key_associations(
    deps: Deps, call: Call, request: ListKeyAssociationsRequest
) -> KeyAssociations:
    """What depends on a key; the caller needs KEY_READ on it.

    The secrets are shown to whoever may read the key (their ids, names, states and version
    counts, not their contents), whatever the caller may do with the secrets themselves.
    """
    now = deps.clock.now()
    with deps.db.transaction(read_only=True) as tx:
        key = key_by_id(deps, tx, call, request.key_id, "ListKeyAssociations")
        secrets = tx.key_associations.secrets_using(key.id, now)
        sharing = _effective(deps, tx, tx.key_associations.keys_sharing_external_key(key, now))
    return KeyAssociations(key, tuple(secrets), sharing)


def refuse_if_protecting_secrets(tx: Transaction, key: Key) -> None:
    """Raise KeyInUse when live secrets (neither deleted nor pending deletion) are sealed
    under ``key``: a dialect that offers a force option asks for this refusal unless forced."""
    count = tx.key_associations.live_secret_count(key.id)
    if count:
        raise KeyInUse(key.id, count)


def _effective(deps: Deps, tx: Transaction, found: list[Key]) -> tuple[Key, ...]:
    """The keys with their vaults' scheduled deletions applied (as GetKey shows them)."""
    vaults = {v: tx.vaults.get(v) for v in {k.vault_id for k in found}}
    return tuple(key_in_vault(deps, k, vaults[k.vault_id])[1] for k in found)
