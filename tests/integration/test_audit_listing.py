"""Listing the audit trail: ListEvents by compartment and page, and ``strongroom audit``."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import oci
import pytest

from strongroom.domain.identity import AuditEvent
from tests.integration import iam_support, support
from tests.integration.iam_support import Iam
from tests.integration.support import Server


@pytest.fixture
def iam(server: Server, tmp_path: Path) -> Iterator[Iam]:
    with iam_support.iam_session(server, tmp_path) as helper:
        yield helper


def _store(server: Server, events: list[AuditEvent]) -> None:
    with server.deps.db.transaction() as tx:
        tx.iam.add_audit_events(events)


def _event(server: Server, n: int, when: datetime, compartment: str | None) -> AuditEvent:
    return AuditEvent(
        id=f"listing-{uuid.uuid4().hex}",
        time=when + timedelta(milliseconds=n),
        tenancy_id=server.tenancy,
        principal_id=server.config["user"],
        principal_type="user",
        operation="ListingTest",
        resource_id=None,
        compartment_id=compartment,
        decision="allowed",
        status=200,
        request_id=f"r{n}",
        source=None,
    )


def _listed(server: Server, compartment: str, start: datetime, end: datetime) -> list[Any]:
    client = oci.audit.AuditClient(
        server.config, service_endpoint=server.url, retry_strategy=support.NO_RETRY
    )
    return oci.pagination.list_call_get_all_results(
        client.list_events, compartment, start, end
    ).data


def test_list_events_of_a_compartment_returns_each_of_its_events_once(
    server: Server, iam: Iam
) -> None:
    """More events than a page (100), interleaved across three compartments: listing one
    compartment pages through all of its events, and the root lists the whole tenancy."""
    first, second = iam.compartment(), iam.compartment()
    # A window of its own, long ago, so no other test's events fall in it.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
    places = [first.id, second.id, server.tenancy]
    events = [_event(server, n, start, places[n % 3]) for n in range(330)]
    _store(server, events)
    end = start + timedelta(minutes=1)

    for compartment in places[:2]:
        listed = _listed(server, compartment, start, end)
        ids = [e.event_id for e in listed]
        expected = [e.id for e in events if e.compartment_id == compartment]
        assert ids == expected  # every event once, in time order, none lost
        assert {e.data.compartment_id for e in listed} == {compartment}

    root = _listed(server, server.tenancy, start, end)
    # The root compartment lists the tenancy's whole trail, its compartments' events included.
    assert [e.event_id for e in root] == [e.id for e in events]


def _audit_cli(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    server.deps.audit.flush()  # type: ignore[union-attr]  # the application's AuditLog
    command = [sys.executable, "-m", "strongroom.cli.main", "audit"]
    command += ["--data-dir", str(server.data_dir), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result


def test_audit_command_prints_the_newest_events_first_with_whole_ocids(server: Server) -> None:
    now = datetime.now(UTC) - timedelta(seconds=2)
    compartment = f"ocid1.compartment.oc1..{'c' * 60}"
    events = [_event(server, n, now, compartment) for n in range(5)]
    _store(server, events)

    result = _audit_cli(server, "--since", "1h", "--limit", "3", "--compartment", compartment)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["time", "principal", "operation", "resource", "decision", "status"]
    assert len(lines) == 4
    assert all(server.config["user"] in line for line in lines[1:])  # never cut at 80 columns
    assert "newest 3" in result.stderr


def test_audit_command_json_output_is_one_object_per_event_newest_first(server: Server) -> None:
    now = datetime.now(UTC) - timedelta(seconds=2)
    compartment = f"ocid1.compartment.oc1..{'d' * 60}"
    events = [_event(server, n, now, compartment) for n in range(4)]
    _store(server, events)

    result = _audit_cli(server, "--compartment", compartment, "--output", "json")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == [e.id for e in reversed(events)]
    assert records[0]["principal_id"] == server.config["user"]
    assert records[0]["compartment_id"] == compartment
    assert datetime.fromisoformat(records[0]["time"]) == events[-1].time


def test_audit_command_refuses_an_unknown_output_format(server: Server) -> None:
    command = [sys.executable, "-m", "strongroom.cli.main", "audit"]
    command += ["--data-dir", str(server.data_dir), "--output", "xml"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
