"""What depends on a key, read within one transaction: the secrets sealed under it (through
``ix_secrets_key``) and the keys bound to the same external key (``ix_keys_external_key``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Table, and_, func, or_, select

from strongroom.domain.key import Key, ProtectionMode
from strongroom.domain.key_associations import SecretUsingKey
from strongroom.domain.lifecycle import State, effective_state
from strongroom.storage import rows, schema

__all__ = ["KeyAssociationRepository"]

S, V, K, VAULTS = schema.secrets, schema.secret_versions, schema.keys, schema.vaults
_PENDING, _DELETED = State.PENDING_DELETION.value, State.DELETED.value


def _not_deleted(table: Table, now: datetime) -> ColumnElement[bool]:
    """SQL for "the effective state is not DELETED" (a deletion whose time came counts)."""
    due = and_(table.c.lifecycle_state == _PENDING, table.c.time_of_deletion <= now)
    return ~or_(table.c.lifecycle_state == _DELETED, due)


class KeyAssociationRepository:
    """Reads of what depends on a key (no writes)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def secrets_using(self, key_id: str, now: datetime) -> list[SecretUsingKey]:
        """Secrets not deleted whose key is ``key_id``, by name, each with its number of
        versions not deleted (one grouped query)."""
        versions = func.count(V.c.number).label("versions")
        joined = S.outerjoin(V, and_(V.c.secret_id == S.c.id, _not_deleted(V, now)))
        columns = (S.c.id, S.c.name, S.c.lifecycle_state, S.c.time_of_deletion)
        query = (
            select(*columns, versions)
            .select_from(joined)
            .where(S.c.key_id == key_id, _not_deleted(S, now))
            .group_by(*columns)
            .order_by(S.c.name, S.c.id)
        )
        return [
            SecretUsingKey(
                row.id,
                row.name,
                effective_state(State(row.lifecycle_state), row.time_of_deletion, now),
                int(row.versions),
            )
            for row in self._conn.execute(query)
        ]

    def live_secret_count(self, key_id: str) -> int:
        """How many secrets sealed under ``key_id`` are neither deleted nor pending deletion."""
        query = select(func.count()).where(
            S.c.key_id == key_id, S.c.lifecycle_state.not_in((_PENDING, _DELETED))
        )
        return int(self._conn.execute(query).scalar_one())

    def keys_sharing_external_key(self, key: Key, now: datetime) -> list[Key]:
        """The other keys of ``key``'s tenancy, not deleted, bound to its external key id in a
        vault (not deleted) of the same external key manager; none when ``key`` is not
        EXTERNAL. Their stored states: see ``services.lookup.key_as_of`` for the effective."""
        if key.protection_mode is not ProtectionMode.EXTERNAL or key.external_key_id is None:
            return []
        same_ekm = select(VAULTS.c.ekm_endpoint_url).where(VAULTS.c.id == key.vault_id)
        query = (
            select(K)
            .join(VAULTS, VAULTS.c.id == K.c.vault_id)
            .where(
                K.c.external_key_id == key.external_key_id,
                K.c.tenancy_id == key.tenancy_id,
                K.c.protection_mode == ProtectionMode.EXTERNAL.value,
                K.c.id != key.id,
                VAULTS.c.ekm_endpoint_url == same_ekm.scalar_subquery(),
                _not_deleted(K, now),
                _not_deleted(VAULTS, now),
            )
            .order_by(K.c.id)
        )
        return [rows.key_from_row(row) for row in self._conn.execute(query)]
