"""A signed request that changes state is accepted once: the same signature sent again (within
the clock skew) is refused, in this process or another on the same database. Reads and the
cryptographic operations may repeat, and never reach the replay store."""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import oci
import pytest
import requests
import uvicorn
from oci.key_management import models as m
from oci.vault import VaultsClient
from oci.vault import models as vm
from sqlalchemy import Engine, func, select

from strongroom.api.oci.app import ROUTES
from strongroom.api.oci.endpoint import EFFECT_FREE
from strongroom.app import create_app
from strongroom.config import Settings
from strongroom.http_protocol import OneWriteProtocol
from strongroom.storage import schema, seen_requests
from strongroom.storage.unit_of_work import Database
from tests.clock import ManualClock
from tests.helpers import b64e, wait_healthy
from tests.integration import storage_support, support
from tests.integration.secret_support import content
from tests.integration.support import Server

pytest_plugins = ["tests.integration.secret_fixtures"]

ALREADY = "already received"


def _captured(client: Any, call: Callable[[], Any]) -> requests.PreparedRequest:
    """Run an SDK call and return the signed request it sent, as it went to the network."""
    session = client.base_client.session
    sent: list[requests.PreparedRequest] = []
    send = session.send

    def recording(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        sent.append(request.copy())
        return send(request, **kwargs)

    session.send = recording
    try:
        call()
    finally:
        del session.send
    (request,) = sent
    return request


def _resend(request: requests.PreparedRequest, url: str | None = None) -> httpx.Response:
    """The same bytes again with httpx (to ``url``'s server, still naming the signed host)."""
    body = request.body.encode() if isinstance(request.body, str) else request.body
    assert body is None or isinstance(body, bytes)
    headers = {name: str(value) for name, value in request.headers.items()}
    target = str(request.url) if url is None else url + request.path_url
    return httpx.request(str(request.method), target, headers=headers, content=body, timeout=10)


def _seen_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(schema.seen_signatures)).scalar()
    return int(count or 0)


def _reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.fields["reason"]  # type: ignore[attr-defined]
        for record in caplog.records
        if record.name == "strongroom.access"
        and record.levelno == logging.WARNING
        and "reason" in getattr(record, "fields", {})
    ]


# --- the route table ------------------------------------------------------------------------------


def test_the_route_table_says_which_operations_are_accepted_once() -> None:
    by_name = {route.operation: route for route in ROUTES}
    assert set(by_name) >= EFFECT_FREE
    for route in ROUTES:
        assert not (route.inline and route.changes_state), route.operation
        if route.method in ("GET", "HEAD"):
            assert not route.changes_state
    for name in ("UpdateSecret", "CreateVault", "DeleteUser", "RotateSecret", "UpdateKey"):
        assert by_name[name].changes_state, name
    for name in ("Encrypt", "Decrypt", "Sign", "Verify", "ExportKey", "GetSecretBundleByName"):
        assert not by_name[name].changes_state, name


# --- one server ---------------------------------------------------------------------------------


def test_a_replayed_secret_update_makes_one_version(
    server: Server, vaults: VaultsClient, secret: vm.Secret, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="strongroom.access")
    rid = uuid.uuid4().hex.upper()
    details = vm.UpdateSecretDetails(secret_content=content(b"v2"))
    request = _captured(
        vaults, lambda: vaults.update_secret(secret.id, details, opc_request_id=rid)
    )
    for _ in range(3):
        response = _resend(request)
        message = support.assert_oci_error(response, 401, "NotAuthenticated")
        assert ALREADY in message and "sign" in message
    versions = vaults.list_secret_versions(secret.id).data
    assert sorted(v.version_number for v in versions) == [1, 2]
    assert _reasons(caplog) == ["replayed-signature"] * 3

    server.deps.audit.flush()  # type: ignore[union-attr]
    end = datetime.now(UTC) + timedelta(seconds=5)
    audit = oci.audit.AuditClient(
        server.config, service_endpoint=server.url, retry_strategy=support.NO_RETRY
    )
    events = oci.pagination.list_call_get_all_results(
        audit.list_events, server.tenancy, end - timedelta(minutes=5), end
    ).data
    mine = [e.data for e in events if e.data.request.id == rid]
    refused = [e for e in mine if e.response.status == "401"]
    assert len(refused) == 3
    for event in refused:
        assert event.event_name == "UpdateSecret"
        assert event.additional_details == {
            "decision": "unauthenticated",
            "reason": "replayed-signature",
        }


def test_a_retry_token_does_not_make_a_replay_acceptable(server: Server, raw: support.Raw) -> None:
    client = support.vault_client(server.config, server.url)
    token = uuid.uuid4().hex
    details = m.CreateVaultDetails(
        compartment_id=server.tenancy, display_name="once", vault_type="DEFAULT"
    )
    created: list[m.Vault] = []
    request = _captured(
        client, lambda: created.append(client.create_vault(details, opc_retry_token=token).data)
    )
    before = raw.count_vaults()
    # The same signature and the same token: still a replay.
    support.assert_oci_error(_resend(request), 401, "NotAuthenticated")
    # The SDK's retry is signed afresh (after its back-off: a signature made in the same
    # second is the same bytes, see the README): the first response, no second vault.
    time.sleep(1.0 - time.time() % 1.0 + 0.05)
    again = client.create_vault(details, opc_retry_token=token).data
    assert again.id == created[0].id
    assert raw.count_vaults() == before


def test_reads_and_crypto_may_repeat_without_the_store(
    server: Server,
    shared_crypto: Any,
    shared_keys: dict[str, m.Key],
    vaults: VaultsClient,
    secret: vm.Secret,
) -> None:
    key = shared_keys["aes"]
    details = m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"same"))
    encrypt = _captured(shared_crypto, lambda: shared_crypto.encrypt(details))
    read = _captured(vaults, lambda: vaults.get_secret(secret.id))
    rows = _seen_rows(server.deps.db.engine)
    for _ in range(2):  # within the second the SDK signed them in
        assert _resend(encrypt).status_code == 200
        assert _resend(read).status_code == 200
    assert _seen_rows(server.deps.db.engine) == rows


# --- two processes, one database -------------------------------------------------------------


@contextmanager
def _another_server(data_dir: Path, database_url: str) -> Iterator[str]:
    """A second server on the same data directory and database (as another process would be)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = Settings(data_dir=data_dir, port=port, database_url=database_url)
    asgi, deps = create_app(settings, clock=ManualClock())
    config = uvicorn.Config(
        asgi, loop="asyncio", http=OneWriteProtocol, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        deps.db.engine.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """An empty schema of the test PostgreSQL database, as a database URL."""
    for engine in storage_support.postgresql_engine():
        url = engine.url.render_as_string(hide_password=False)
        with engine.begin() as conn:
            schema.metadata.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        yield url


@pytest.mark.postgres
def test_a_write_replayed_on_another_process_is_refused(tmp_path: Path, postgres_url: str) -> None:
    data_dir = tmp_path / "data"
    with (
        support.running_server(data_dir, ManualClock(), postgres_url) as first,
        _another_server(data_dir, postgres_url) as second,
    ):
        raw = support.Raw(first)
        client = support.vault_client(first.config, first.url)
        details = m.CreateVaultDetails(
            compartment_id=first.tenancy, display_name="elsewhere", vault_type="DEFAULT"
        )
        before = raw.count_vaults()
        request = _captured(client, lambda: client.create_vault(details))
        response = _resend(request, second)
        message = support.assert_oci_error(response, 401, "NotAuthenticated")
        assert ALREADY in message
        assert raw.count_vaults() == before + 1


# --- the store ------------------------------------------------------------------------------------


def test_the_store_takes_a_digest_once_and_purges_expired_rows(db: Database) -> None:
    now = datetime.now(UTC)
    old, fresh = uuid.uuid4().hex * 2, uuid.uuid4().hex * 2
    assert seen_requests.insert_once(db, old, now - timedelta(seconds=1))
    assert seen_requests.insert_once(db, fresh, now + timedelta(minutes=5))
    assert not seen_requests.insert_once(db, fresh, now + timedelta(minutes=5))
    assert seen_requests.purge_expired(db, now) >= 1
    assert seen_requests.insert_once(db, old, now + timedelta(minutes=5))
    assert not seen_requests.insert_once(db, fresh, now + timedelta(minutes=5))
