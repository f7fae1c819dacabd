"""Audit: every request's who, operation, resource, decision and outcome; never secret values.

Events are buffered and written in batches by a background thread so the hot path pays for an
append, not an INSERT; reads flush first, and shutdown flushes what is left. The buffer holds
rows (:data:`~strongroom.domain.identity.AuditRow`), and appending takes no lock: a deque's
append and popleft are atomic, and the writer only pops what was there when it started.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

from strongroom import metrics
from strongroom.domain.identity import AuditEvent, AuditQuery, AuditRow
from strongroom.storage.unit_of_work import Database

__all__ = ["AuditLog"]

log = logging.getLogger("strongroom.audit")


class AuditLog:
    """A write-behind buffer of audit events in front of the database."""

    def __init__(
        self, db: Database, interval_seconds: float = 0.2, max_buffer: int = 100_000
    ) -> None:
        self._db = db
        self._interval = interval_seconds
        self._buffer: deque[AuditRow] = deque(maxlen=max_buffer)
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def record(self, row: AuditRow) -> None:
        """Queue one event (cheap; called on every request)."""
        buffer = self._buffer
        if len(buffer) == buffer.maxlen:
            log.error("audit buffer full; the oldest queued event is dropped")
            metrics.audit_event_dropped()
            self._wake.set()
        buffer.append(row)
        if self._thread is None:
            self._start_writer()

    def _start_writer(self) -> None:
        with self._lock:
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
                self._thread.start()

    def flush(self) -> None:
        """Write every queued event now (the queue's depth then goes to the metrics: what
        came meanwhile, or everything kept when the write failed)."""
        with self._flush_lock:
            buffer = self._buffer
            batch = [buffer.popleft() for _ in range(len(buffer))]
            if not batch:
                metrics.audit_queue_depth(len(buffer))
                return
            try:
                with self._db.transaction() as tx:
                    tx.iam.add_audit_rows(batch)
            except Exception:
                log.exception(
                    "writing %d audit events failed; keeping them for the next try", len(batch)
                )
                kept = len(buffer) + len(batch)
                buffer.extendleft(reversed(batch))  # a full buffer drops its newest events
                metrics.audit_event_dropped(max(0, kept - len(buffer)))
                raise
            finally:
                metrics.audit_queue_depth(len(buffer))

    def close(self) -> None:
        """Stop the writer and flush what is left."""
        self._stopped = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # noqa: S112 - logged in flush; retried on the next tick
                continue

    def events(self, query: AuditQuery) -> list[AuditEvent]:
        """The stored events ``query`` asks for, after flushing."""
        self.flush()
        with self._db.transaction(read_only=True) as tx:
            return tx.iam.audit_events(query)
