"""Repositories over one connection (one transaction) for vaults, keys and key versions."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import Connection, insert, select, update

from strongroom.domain.ekm import EkmHealth
from strongroom.domain.ekms_private_endpoint import EkmsPrivateEndpoint
from strongroom.domain.errors import Conflict
from strongroom.domain.key import Key, KeyVersion
from strongroom.domain.paging import PageRequest
from strongroom.domain.vault import Vault
from strongroom.storage import rows, schema
from strongroom.storage.paging import apply_page

STALE = "The resource was changed by another request; retry with its new etag"


def update_versioned(conn: Connection, table: Any, values: dict[str, Any], expected: int) -> None:
    """Write ``values`` if the row still has version ``expected``; bumps the version."""
    values = {**values, "version": expected + 1}
    result = conn.execute(
        update(table).where(table.c.id == values["id"], table.c.version == expected).values(values)
    )
    if result.rowcount != 1:
        raise Conflict(STALE)


class VaultRepository:
    """Vault rows. Writes are noted in ``touched`` (see :class:`~.unit_of_work.Transaction`)."""

    def __init__(self, conn: Connection, touched: set[str] | None = None) -> None:
        self._conn = conn
        self._touched = set() if touched is None else touched

    def add(self, vault: Vault) -> None:
        self._touched.add("vaults")
        self._conn.execute(insert(schema.vaults).values(rows.vault_to_row(vault)))

    def get(self, vault_id: str) -> Vault | None:
        row = self._conn.execute(
            select(schema.vaults).where(schema.vaults.c.id == vault_id)
        ).first()
        return rows.vault_from_row(row) if row else None

    def save(self, vault: Vault) -> None:
        """Persist changes; raises Conflict on a concurrent change. Bumps ``vault.version``."""
        self._touched.add("vaults")
        update_versioned(self._conn, schema.vaults, rows.vault_to_row(vault), vault.version)
        vault.version += 1

    def in_tenancy(self, tenancy_id: str, limit: int) -> builtins.list[Vault]:
        """Up to ``limit`` vaults of a tenancy, oldest first (every compartment)."""
        t = schema.vaults
        query = select(t).where(t.c.tenancy_id == tenancy_id).order_by(t.c.time_created, t.c.id)
        return [rows.vault_from_row(r) for r in self._conn.execute(query.limit(limit))]

    def list(self, tenancy_id: str, compartment_id: str, page: PageRequest) -> builtins.list[Vault]:
        t = schema.vaults
        query = select(t).where(t.c.tenancy_id == tenancy_id, t.c.compartment_id == compartment_id)
        return [rows.vault_from_row(r) for r in self._conn.execute(apply_page(query, t, page))]

    def list_external(self) -> builtins.list[Vault]:
        """Every EXTERNAL vault not yet deleted (for the EKM health poller)."""
        t = schema.vaults
        query = select(t).where(t.c.vault_type == "EXTERNAL", t.c.lifecycle_state != "DELETED")
        return [rows.vault_from_row(r) for r in self._conn.execute(query.order_by(t.c.id))]

    def get_health(self, vault_id: str) -> EkmHealth | None:
        """The latest stored EKM health check of a vault, if any."""
        t = schema.ekm_health
        row = self._conn.execute(select(t).where(t.c.vault_id == vault_id)).first()
        return rows.ekm_health_from_row(row) if row else None

    def put_health(self, health: EkmHealth) -> None:
        """Store a health check, replacing the previous one (not a change of the vault)."""
        t = schema.ekm_health
        values = rows.ekm_health_to_row(health)
        result = self._conn.execute(update(t).where(t.c.vault_id == health.vault_id).values(values))
        if result.rowcount == 0:
            # Two processes inserting at once: one fails with IntegrityError, and its check is
            # lost (the other's is as recent); callers give health writes their own transaction.
            self._conn.execute(insert(t).values(values))


class PrivateEndpointRepository:
    """EKMS private endpoint rows, and which vaults use them."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, endpoint: EkmsPrivateEndpoint) -> None:
        values = rows.private_endpoint_to_row(endpoint)
        self._conn.execute(insert(schema.ekms_private_endpoints).values(values))

    def get(self, endpoint_id: str) -> EkmsPrivateEndpoint | None:
        t = schema.ekms_private_endpoints
        row = self._conn.execute(select(t).where(t.c.id == endpoint_id)).first()
        return rows.private_endpoint_from_row(row) if row else None

    def save(self, endpoint: EkmsPrivateEndpoint) -> None:
        """Persist changes; raises Conflict on a concurrent change. Bumps ``version``."""
        values = rows.private_endpoint_to_row(endpoint)
        update_versioned(self._conn, schema.ekms_private_endpoints, values, endpoint.version)
        endpoint.version += 1

    def delete(self, endpoint: EkmsPrivateEndpoint) -> None:
        """Remove the row if it still has ``endpoint.version``; raises Conflict otherwise."""
        t = schema.ekms_private_endpoints
        done = self._conn.execute(
            t.delete().where(t.c.id == endpoint.id, t.c.version == endpoint.version)
        )
        if done.rowcount != 1:
            raise Conflict(STALE)

    def list(
        self, tenancy_id: str, compartment_id: str, page: PageRequest
    ) -> builtins.list[EkmsPrivateEndpoint]:
        t = schema.ekms_private_endpoints
        query = select(t).where(t.c.tenancy_id == tenancy_id, t.c.compartment_id == compartment_id)
        found = self._conn.execute(apply_page(query, t, page))
        return [rows.private_endpoint_from_row(r) for r in found]

    def vaults_using(self, endpoint_id: str) -> builtins.list[Vault]:
        """The vaults that reach their EKM through ``endpoint_id`` (deleted ones too: see
        ``Vault.state_at``)."""
        t = schema.vaults
        query = select(t).where(t.c.ekm_private_endpoint_id == endpoint_id)
        return [rows.vault_from_row(r) for r in self._conn.execute(query.order_by(t.c.id))]


class KeyRepository:
    """Key rows and their versions. Writes are noted in ``touched``."""

    def __init__(self, conn: Connection, touched: set[str] | None = None) -> None:
        self._conn = conn
        self._touched = set() if touched is None else touched

    def add(self, key: Key) -> None:
        self._touched.add("keys")
        self._conn.execute(insert(schema.keys).values(rows.key_to_row(key)))

    def get(self, key_id: str) -> Key | None:
        row = self._conn.execute(select(schema.keys).where(schema.keys.c.id == key_id)).first()
        return rows.key_from_row(row) if row else None

    def save(self, key: Key) -> None:
        """Persist changes; raises Conflict on a concurrent change. Bumps ``key.version``."""
        self._touched.add("keys")
        update_versioned(self._conn, schema.keys, rows.key_to_row(key), key.version)
        key.version += 1

    def list(
        self, vault_id: str, compartment_id: str, page: PageRequest, filters: dict[str, Any]
    ) -> builtins.list[Key]:
        t = schema.keys
        query = select(t).where(t.c.vault_id == vault_id, t.c.compartment_id == compartment_id)
        for column, value in filters.items():
            query = query.where(t.c[column] == value)
        return [rows.key_from_row(r) for r in self._conn.execute(apply_page(query, t, page))]

    def in_tenancy(self, tenancy_id: str, limit: int) -> builtins.list[Key]:
        """Up to ``limit`` keys of a tenancy, oldest first (every vault and compartment)."""
        t = schema.keys
        query = select(t).where(t.c.tenancy_id == tenancy_id).order_by(t.c.time_created, t.c.id)
        return [rows.key_from_row(r) for r in self._conn.execute(query.limit(limit))]

    def version_owner(self, version_id: str) -> tuple[str, str, str] | None:
        """(tenancy, vault, key) of key version ``version_id``, if it exists."""
        t = schema.key_versions
        query = select(t.c.tenancy_id, t.c.vault_id, t.c.key_id).where(t.c.id == version_id)
        row = self._conn.execute(query).first()
        return (row.tenancy_id, row.vault_id, row.key_id) if row else None

    def count_in_vault(self, vault_id: str) -> int:
        from sqlalchemy import func

        t = schema.keys
        return int(
            self._conn.execute(select(func.count()).where(t.c.vault_id == vault_id)).scalar_one()
        )

    def add_version(self, kv: KeyVersion) -> None:
        self._touched.add("key_versions")
        self._conn.execute(insert(schema.key_versions).values(rows.key_version_to_row(kv)))

    def get_version(self, version_id: str) -> KeyVersion | None:
        t = schema.key_versions
        row = self._conn.execute(select(t).where(t.c.id == version_id)).first()
        return rows.key_version_from_row(row) if row else None

    def save_version(self, kv: KeyVersion) -> None:
        """Persist a version's state change; raises Conflict on a concurrent change."""
        self._touched.add("key_versions")
        update_versioned(self._conn, schema.key_versions, rows.key_version_to_row(kv), kv.version)
        kv.version += 1

    def move_versions(self, key_id: str, compartment_id: str) -> None:
        """Versions follow their key into another compartment."""
        self._touched.add("key_versions")
        t = schema.key_versions
        self._conn.execute(
            update(t).where(t.c.key_id == key_id).values(compartment_id=compartment_id)
        )

    def list_versions(self, key_id: str, page: PageRequest) -> builtins.list[KeyVersion]:
        t = schema.key_versions
        query = select(t).where(t.c.key_id == key_id)
        return [
            rows.key_version_from_row(r) for r in self._conn.execute(apply_page(query, t, page))
        ]
