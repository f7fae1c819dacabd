"""What a transaction wrote: the cached tables it touched, and the replicated rows it changed."""

from __future__ import annotations

from typing import Any

__all__ = ["Changes"]


class Changes(set[str]):
    """The names of the tables a transaction wrote that processes cache (a set, as listeners
    and the change feed see it), and by table the primary keys of the rows of replicated tables
    it wrote (inserted, updated or deleted): what the outbox ships to other regions."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, set[str]] = {}
        # Work requests made in the transaction, as rows of ``work_requests``: written as it
        # commits, their targets with the sequence numbers of the outbox entries it writes
        # (see storage.secret_outbox).
        self.work_requests: list[dict[str, Any]] = []

    def row(self, table: str, key: str) -> None:
        """Note that row ``key`` of ``table`` was written."""
        self.add(table)
        self.rows.setdefault(table, set()).add(key)

    def rows_of(self, table: str, keys: list[str]) -> None:
        """Note several rows of ``table`` (a bulk update or delete)."""
        self.add(table)
        self.rows.setdefault(table, set()).update(keys)
