"""Audit: who, which operation, which resource, the decision and the outcome; no secrets."""

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
import requests
from oci.key_management import models as m

from strongroom.services.audit.log import AuditLog
from tests.helpers import b64e
from tests.integration import iam_support, support
from tests.integration.iam_support import Iam
from tests.integration.support import Server

SECRET_TEXT = b"audit-must-never-hold-this-plaintext"


@pytest.fixture
def iam(server: Server, tmp_path: Path) -> Iterator[Iam]:
    with iam_support.iam_session(server, tmp_path) as helper:
        yield helper


def _events(server: Server, since: datetime) -> list[Any]:
    client = oci.audit.AuditClient(
        server.config, service_endpoint=server.url, retry_strategy=support.NO_RETRY
    )
    end = datetime.now(UTC) + timedelta(seconds=5)
    return oci.pagination.list_call_get_all_results(
        client.list_events, server.tenancy, since, end
    ).data


def test_allowed_denied_and_unauthenticated_calls_are_recorded(
    server: Server, iam: Iam, vault: m.Vault
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    key = support.new_key(
        support.management_client(server.config, vault), server.tenancy, "AES", 32
    )
    crypto = support.crypto_client(server.config, vault)
    crypto.encrypt(m.EncryptDataDetails(key_id=key.id, plaintext=b64e(SECRET_TEXT)))
    _, outsider = iam.member()
    with pytest.raises(oci.exceptions.ServiceError):
        outsider.crypto(vault).encrypt(m.EncryptDataDetails(key_id=key.id, plaintext="aGk="))
    unsigned = requests.post(f"{vault.crypto_endpoint}/20180608/encrypt", json={}, timeout=10)
    assert unsigned.status_code == 401

    events = _events(server, since)

    mine = [e for e in events if e.data.resource_id == key.id and e.data.event_name == "Encrypt"]
    decisions = {
        (e.data.identity.principal_id, e.data.additional_details["decision"]) for e in mine
    }
    assert (server.config["user"], "allowed") in decisions
    assert (outsider.id, "denied") in decisions
    statuses = {e.data.response.status for e in mine}
    assert {"200", "404"} <= statuses
    serialized = json.dumps([oci.util.to_dict(e) for e in events])
    assert b64e(SECRET_TEXT) not in serialized
    assert SECRET_TEXT.decode() not in serialized


def test_every_hot_path_call_is_recorded_once(server: Server, vault: m.Vault) -> None:
    """Encrypt (dispatched ahead of the router, run on the event loop) leaves one event each."""
    since = datetime.now(UTC) - timedelta(seconds=1)
    key = support.new_key(
        support.management_client(server.config, vault), server.tenancy, "AES", 32
    )
    crypto = support.crypto_client(server.config, vault)
    ids = [f"HOT{i:03d}{uuid.uuid4().hex[:20].upper()}" for i in range(25)]
    for request_id in ids:
        details = m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"x"))
        crypto.encrypt(details, opc_request_id=request_id)

    recorded = [e.data.request.id for e in _events(server, since)]
    assert sorted(r for r in recorded if r.startswith("HOT")) == sorted(ids)


def test_a_failed_signature_is_attributed_to_the_claimed_user(server: Server) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    signer = support.signer_for(server.config)
    response = requests.get(
        f"{server.url}/20180608/vaults",
        params={"compartmentId": server.tenancy},
        auth=signer,
        headers={"date": "Mon, 01 Jan 2001 00:00:00 GMT"},
        timeout=10,
    )
    assert response.status_code == 401
    events = _events(server, since)
    assert any(
        e.data.additional_details["decision"] == "unauthenticated"
        and e.data.identity.principal_id == server.config["user"]
        for e in events
    )


def test_listing_needs_audit_permission(server: Server, iam: Iam) -> None:
    group, person = iam.member()
    client = oci.audit.AuditClient(
        person.config, service_endpoint=server.url, retry_strategy=support.NO_RETRY
    )
    now = datetime.now(UTC)
    with pytest.raises(oci.exceptions.ServiceError) as denied:
        client.list_events(server.tenancy, now - timedelta(hours=1), now)
    assert denied.value.status == 404
    iam.policy(f"Allow group {group.name} to read audit-events in tenancy")
    assert client.list_events(server.tenancy, now - timedelta(hours=1), now).status == 200


def test_bad_time_window_is_a_400(server: Server) -> None:
    client = oci.audit.AuditClient(
        server.config, service_endpoint=server.url, retry_strategy=support.NO_RETRY
    )
    now = datetime.now(UTC)
    with pytest.raises(oci.exceptions.ServiceError) as error:
        client.list_events(server.tenancy, now, now - timedelta(hours=1))
    assert error.value.status == 400


def test_audit_command_prints_recent_events(server: Server, vault: m.Vault) -> None:
    support.new_key(support.management_client(server.config, vault), server.tenancy, "AES", 16)
    audit = server.deps.audit
    assert isinstance(audit, AuditLog)  # the port has no flush; the application uses AuditLog
    audit.flush()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "strongroom.cli.main",
            "audit",
            "--data-dir",
            str(server.data_dir),
            "--since",
            "1h",
            "--limit",
            "500",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "CreateKey" in result.stdout
