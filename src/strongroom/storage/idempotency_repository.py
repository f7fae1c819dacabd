"""Stored responses for ``opc-retry-token`` replays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from strongroom.storage import schema


@dataclass(frozen=True)
class StoredResponse:
    """A response recorded under a retry token; ``body`` is sealed by the barrier."""

    request_hash: str
    status: int
    body: bytes
    headers: dict[str, str]


class IdempotencyRepository:
    """One row per (principal, retry token)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, principal: str, token: str, not_before: datetime) -> StoredResponse | None:
        t = schema.idempotency_records
        row = self._conn.execute(
            select(t).where(
                t.c.principal == principal, t.c.token == token, t.c.time_created >= not_before
            )
        ).first()
        if row is None:
            return None
        return StoredResponse(row.request_hash, row.status, bytes(row.body), dict(row.headers))

    def put(self, principal: str, token: str, response: StoredResponse, now: datetime) -> None:
        t = schema.idempotency_records
        self._conn.execute(delete(t).where(t.c.principal == principal, t.c.token == token))
        self._conn.execute(
            insert(t).values(
                principal=principal,
                token=token,
                request_hash=response.request_hash,
                status=response.status,
                body=response.body,
                headers=response.headers,
                time_created=now,
            )
        )

    def purge(self, older_than: datetime) -> int:
        t = schema.idempotency_records
        return self._conn.execute(delete(t).where(t.c.time_created < older_than)).rowcount
