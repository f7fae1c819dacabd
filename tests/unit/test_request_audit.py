"""The audit row queued for a request: AuditEvent's fields, in order."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from strongroom.domain.identity import AuditEvent, AuditRow, Principal
from strongroom.services.audit.requests import record_request
from strongroom.services.context import AuditNote

NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
TENANCY = "ocid1.tenancy.oc1..aaaa"
USER = "ocid1.user.oc1..bbbb"


class _Queue:
    def __init__(self) -> None:
        self.rows: list[AuditRow] = []

    def record(self, row: AuditRow) -> None:
        self.rows.append(row)


def _deps(queue: _Queue) -> Any:
    clock = SimpleNamespace(now=lambda: NOW)
    return SimpleNamespace(audit=queue, wall_clock=clock, random_bytes=os.urandom)


def test_an_authenticated_call_is_queued_as_an_audit_event() -> None:
    queue = _Queue()
    note = AuditNote(
        resource_id="ocid1.key.oc1..kkkk",
        compartment_id=TENANCY,
        decision="allowed",
        principal=Principal(TENANCY, USER),
    )
    record_request(_deps(queue), note, "Encrypt", 200, "R" * 80, "10.0.0.1", None)
    (row,) = queue.rows
    event = AuditEvent(*row)
    assert event.id and event.time == NOW
    assert (event.tenancy_id, event.principal_id, event.principal_type) == (TENANCY, USER, "user")
    assert (event.operation, event.resource_id, event.compartment_id) == (
        "Encrypt",
        "ocid1.key.oc1..kkkk",
        TENANCY,
    )
    assert (event.decision, event.status, event.source) == ("allowed", 200, "10.0.0.1")
    assert event.request_id == "R" * 64


def test_a_failed_signature_is_queued_for_the_claimed_caller() -> None:
    queue = _Queue()
    claimed = f"{TENANCY}/{USER}/aa:bb"
    record_request(_deps(queue), AuditNote(), "Encrypt", 401, "r1", None, claimed)
    record_request(_deps(queue), AuditNote(), "Encrypt", 401, "r2", None, claimed)
    first, second = (AuditEvent(*row) for row in queue.rows)
    assert (first.tenancy_id, first.principal_id, first.decision) == (
        TENANCY,
        USER,
        "unauthenticated",
    )
    assert first.id != second.id


def test_the_reason_a_signature_was_refused_is_queued_with_the_event() -> None:
    queue = _Queue()
    claimed = f"{TENANCY}/{USER}/aa:bb"
    note = AuditNote(reason="fingerprint-mismatch")
    record_request(_deps(queue), note, "Encrypt", 401, "r1", None, claimed)
    (row,) = queue.rows
    event = AuditEvent(*row)
    assert (event.operation, event.decision, event.reason) == (
        "Encrypt",
        "unauthenticated",
        "fingerprint-mismatch",
    )
    assert event.compartment_id is None
