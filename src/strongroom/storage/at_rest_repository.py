"""Encryption-at-rest rows: KMIP key providers and servers, master keys, async results, and
the wrapped keyring (written here inside a transaction, so other processes hear of it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from strongroom.domain.at_rest import (
    AsyncResult,
    KeyProvider,
    KeyServer,
    ManagementType,
    MasterKeyRecord,
    MasterKeyState,
)
from strongroom.storage import schema

__all__ = ["KEYRING_TABLE", "AtRestRepository"]

P = schema.kmip_key_providers
S = schema.kmip_key_servers
M = schema.master_keys
A = schema.async_results
K = schema.barrier_keyring

# Announced when the keyring is rewrapped, so every process reloads it.
KEYRING_TABLE = K.name


class AtRestRepository:
    """Reads and writes of the encryption-at-rest tables, in one transaction."""

    def __init__(self, conn: Connection, touched: set[str]) -> None:
        self._conn = conn
        self._touched = touched

    # Key providers
    def add_provider(self, name: str, now: datetime) -> KeyProvider:
        """Store a new provider; its id is assigned here."""
        result = self._conn.execute(insert(P).values(name=name, time_created=now))
        return KeyProvider(_new_id(result.inserted_primary_key), name, now)

    def provider(self, provider_id: int) -> KeyProvider | None:
        """The provider ``provider_id``, if any."""
        row = self._conn.execute(select(P).where(P.c.id == provider_id)).first()
        return _provider(row) if row else None

    def providers(self) -> list[KeyProvider]:
        """Every provider, by id."""
        return [_provider(r) for r in self._conn.execute(select(P).order_by(P.c.id))]

    def delete_provider(self, provider_id: int) -> None:
        """Remove provider ``provider_id`` (its servers must be removed from it first)."""
        self._conn.execute(delete(P).where(P.c.id == provider_id))

    # Key servers
    def add_server(self, server: KeyServer) -> KeyServer:
        """Store a new key server (``server.id`` is ignored and assigned here)."""
        values = _server_values(server)
        result = self._conn.execute(insert(S).values(values))
        return replace(server, id=_new_id(result.inserted_primary_key))

    def server(self, server_id: int) -> KeyServer | None:
        """The key server ``server_id``, if any."""
        row = self._conn.execute(select(S).where(S.c.id == server_id)).first()
        return _server(row) if row else None

    def servers(self, provider_id: int | None = None) -> list[KeyServer]:
        """Every key server (of one provider when given), by id."""
        query = select(S).order_by(S.c.id)
        if provider_id is not None:
            query = query.where(S.c.provider_id == provider_id)
        return [_server(r) for r in self._conn.execute(query)]

    def update_server(self, server: KeyServer) -> None:
        """Write every field of ``server`` over the stored row of its id."""
        self._conn.execute(update(S).where(S.c.id == server.id).values(_server_values(server)))

    def delete_server(self, server_id: int) -> None:
        """Remove key server ``server_id``."""
        self._conn.execute(delete(S).where(S.c.id == server_id))

    # Master keys
    def add_master_key(self, record: MasterKeyRecord, now: datetime) -> None:
        """Store a master key record."""
        values = {
            "key_id": record.key_id,
            "management_type": record.management_type.value,
            "provider_id": record.provider_id,
            "kmip_uid": record.kmip_uid,
            "state": record.state.value,
            "time_created": record.time_created,
            "time_updated": now,
        }
        self._conn.execute(insert(M).values(values))

    def master_key(self, key_id: str) -> MasterKeyRecord | None:
        """The master key ``key_id``, if recorded."""
        row = self._conn.execute(select(M).where(M.c.key_id == key_id)).first()
        return _master_key(row) if row else None

    def master_keys(self, states: Iterable[MasterKeyState] | None = None) -> list[MasterKeyRecord]:
        """Master keys (in ``states`` when given), oldest first."""
        query = select(M).order_by(M.c.time_created, M.c.key_id)
        if states is not None:
            query = query.where(M.c.state.in_([s.value for s in states]))
        return [_master_key(r) for r in self._conn.execute(query)]

    def set_master_key(
        self, key_id: str, now: datetime, state: MasterKeyState, kmip_uid: str | None = None
    ) -> None:
        """Move master key ``key_id`` to ``state`` (recording its KMIP id when given)."""
        values: dict[str, Any] = {"state": state.value, "time_updated": now}
        if kmip_uid is not None:
            values["kmip_uid"] = kmip_uid
        self._conn.execute(update(M).where(M.c.key_id == key_id).values(values))

    # The keyring
    def keyring(self, for_update: bool = False) -> tuple[bytes, str] | None:
        """The wrapped keyring and the id of the master key that wrapped it (the row locked
        against other writers until commit with ``for_update``)."""
        query = select(K).where(K.c.id == 1)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return (bytes(row.wrapped), row.master_key_id) if row else None

    def save_keyring(self, wrapped: bytes, master_key_id: str, now: datetime) -> None:
        """Replace the wrapped keyring; every process hears of it once this commits."""
        values = {"wrapped": wrapped, "master_key_id": master_key_id, "time_updated": now}
        self._conn.execute(update(K).where(K.c.id == 1).values(values))
        self._touched.add(KEYRING_TABLE)

    # Async results
    def add_async_result(self, result_type: str, details: dict[str, object], now: datetime) -> int:
        """Store a running async result; its handle is returned."""
        values = {
            "result_type": result_type,
            "status": "running",
            "details": details,
            "time_created": now,
            "time_updated": now,
        }
        return _new_id(self._conn.execute(insert(A).values(values)).inserted_primary_key)

    def async_result(self, handle: int) -> AsyncResult | None:
        """The async result ``handle``, if kept."""
        row = self._conn.execute(select(A).where(A.c.id == handle)).first()
        return _async_result(row) if row else None

    def async_results(
        self, result_types: Iterable[str] | None = None, status: str | None = None
    ) -> list[AsyncResult]:
        """Kept async results (of ``result_types`` / ``status`` when given), oldest first."""
        query = select(A).order_by(A.c.id)
        if result_types is not None:
            query = query.where(A.c.result_type.in_(list(result_types)))
        if status is not None:
            query = query.where(A.c.status == status)
        return [_async_result(r) for r in self._conn.execute(query)]

    def update_async_result(
        self,
        handle: int,
        now: datetime,
        *,
        details: dict[str, object] | None = None,
        result: dict[str, object] | None = None,
        error: dict[str, object] | None = None,
        complete: bool = False,
    ) -> None:
        """Record progress (``details``) or the outcome (``complete`` with result or error)."""
        values: dict[str, Any] = {"time_updated": now}
        if details is not None:
            values["details"] = details
        if complete:
            values |= {"status": "complete", "result": result, "error": error}
        self._conn.execute(update(A).where(A.c.id == handle).values(values))

    def delete_async_result(self, handle: int) -> None:
        """Forget async result ``handle``."""
        self._conn.execute(delete(A).where(A.c.id == handle))


def _provider(row: Row[Any]) -> KeyProvider:
    return KeyProvider(row.id, row.name, row.time_created)


def _server_values(server: KeyServer) -> dict[str, Any]:
    return {
        "name": server.name,
        "hostnames": list(server.hostnames),
        "port": server.port,
        "ca_certificate": server.ca_certificate,
        "client_certificate": server.client_certificate,
        "provider_id": server.provider_id,
        "time_created": server.time_created,
    }


def _server(row: Row[Any]) -> KeyServer:
    return KeyServer(
        id=row.id,
        name=row.name,
        hostnames=tuple(row.hostnames),
        port=row.port,
        ca_certificate=row.ca_certificate,
        client_certificate=row.client_certificate,
        provider_id=row.provider_id,
        time_created=row.time_created,
    )


def _new_id(key: Any) -> int:
    """The integer id an INSERT assigned."""
    return int(key[0])


def _master_key(row: Row[Any]) -> MasterKeyRecord:
    return MasterKeyRecord(
        key_id=row.key_id,
        management_type=ManagementType(row.management_type),
        provider_id=row.provider_id,
        kmip_uid=row.kmip_uid,
        state=MasterKeyState(row.state),
        time_created=row.time_created,
    )


def _async_result(row: Row[Any]) -> AsyncResult:
    return AsyncResult(
        id=row.id,
        result_type=row.result_type,
        status=row.status,
        details=dict(row.details),
        result=row.result,
        error=row.error,
        time_created=row.time_created,
        time_updated=row.time_updated,
    )
