"""Tampered storage is the server's failure, not the caller's: 500, logged, audited.

A sealed value moved to another row (a key version's material, a secret version's content)
does not open, since the row's identity is bound into it. Through the SDK that is a 500
InternalServerError carrying the request id and nothing about the value; the log names the
table and row (never the value); the audit record carries the 500. A *caller's* bad
ciphertext stays a 400 InvalidParameter.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import oci
import pytest
from oci.key_management import KmsCryptoClient, KmsManagementClient
from oci.key_management import models as m
from oci.secrets import SecretsClient
from oci.vault import VaultsClient
from sqlalchemy import select, update

from strongroom.services.audit.log import AuditLog
from strongroom.storage import schema
from tests.helpers import b64e
from tests.integration import support
from tests.integration.secret_support import create, read
from tests.integration.support import Server

pytest_plugins = ["tests.integration.secret_fixtures"]


def _internal_error(call: Any, *args: Any, **kwargs: Any) -> oci.exceptions.ServiceError:
    error = support.service_error(call, *args, status=500, code="InternalServerError", **kwargs)
    assert error.message == f"Internal error; request id {error.request_id}"
    return error


def _audited_status(server: Server, request_id: str) -> set[str]:
    audit = server.deps.audit
    assert isinstance(audit, AuditLog)
    audit.flush()
    client = oci.audit.AuditClient(
        server.config, service_endpoint=server.url, retry_strategy=support.NO_RETRY
    )
    since = datetime.now(UTC) - timedelta(minutes=5)
    events = oci.pagination.list_call_get_all_results(
        client.list_events, server.tenancy, since, datetime.now(UTC) + timedelta(seconds=5)
    ).data
    return {e.data.response.status for e in events if e.data.request.id == request_id}


def _current_version_row(server: Server, key: m.Key) -> Any:
    with server.deps.db.engine.connect() as connection:
        return connection.execute(
            select(schema.key_versions).where(schema.key_versions.c.id == key.current_key_version)
        ).one()


def test_key_material_moved_to_another_row_is_a_500_logged_and_audited(
    server: Server,
    kms: KmsManagementClient,
    crypto: KmsCryptoClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    victim = support.new_key(kms, server.tenancy, "AES", 32)
    target = support.new_key(kms, server.tenancy, "AES", 32)  # never used: nothing cached
    stolen = _current_version_row(server, victim).material
    with server.deps.db.engine.begin() as connection:
        connection.execute(
            update(schema.key_versions)
            .where(schema.key_versions.c.id == target.current_key_version)
            .values(material=stolen)
        )
    request_id = f"TAMPER{uuid.uuid4().hex.upper()}"
    details = m.EncryptDataDetails(key_id=target.id, plaintext=b64e(b"hello"))
    with caplog.at_level(logging.ERROR, logger="strongroom.api"):
        error = _internal_error(crypto.encrypt, details, opc_request_id=request_id)
    assert error.request_id == request_id
    logged = [r.getMessage() for r in caplog.records if r.name == "strongroom.api"]
    assert any(
        "key_versions" in line and target.current_key_version in line and request_id in line
        for line in logged
    ), logged
    assert not any(stolen.hex() in line or repr(stolen) in line for line in logged)
    assert _audited_status(server, request_id) == {"500"}
    # the victim's own key still works: its row was not touched
    crypto.encrypt(m.EncryptDataDetails(key_id=victim.id, plaintext=b64e(b"hello")))


def test_secret_content_moved_to_another_secret_is_a_500(
    server: Server,
    vaults: VaultsClient,
    bundles: SecretsClient,
    secret_vault: m.Vault,
    secret_key: m.Key,
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = create(vaults, secret_vault, secret_key, b"the-source-content")
    target = create(vaults, secret_vault, secret_key, b"the-target-content")
    # (target is never read before: a cached version would not see the change)
    versions = schema.secret_versions
    with server.deps.db.engine.begin() as connection:
        moved = connection.execute(
            select(versions.c.wrapped_key, versions.c.content, versions.c.key_version_id).where(
                versions.c.secret_id == source.id
            )
        ).one()
        connection.execute(
            update(versions)
            .where(versions.c.secret_id == target.id)
            .values(
                wrapped_key=moved.wrapped_key,
                content=moved.content,
                key_version_id=moved.key_version_id,
            )
        )
    request_id = f"TAMPER{uuid.uuid4().hex.upper()}"
    with caplog.at_level(logging.ERROR, logger="strongroom.api"):
        _internal_error(bundles.get_secret_bundle, target.id, opc_request_id=request_id)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "strongroom.api")
    assert "secret_versions" in logged and f"{target.id}/1" in logged
    assert "the-source-content" not in logged and "the-target-content" not in logged
    assert _audited_status(server, request_id) == {"500"}
    assert read(bundles, source.id) == b"the-source-content"


def test_a_callers_bad_ciphertext_stays_a_400(
    server: Server, kms: KmsManagementClient, crypto: KmsCryptoClient
) -> None:
    key = support.new_key(kms, server.tenancy, "AES", 32)
    made = crypto.encrypt(m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"hi"))).data
    tampered = made.ciphertext[:-4] + ("AAAA" if made.ciphertext[-4:] != "AAAA" else "BBBB")
    details = m.DecryptDataDetails(key_id=key.id, ciphertext=tampered)
    support.service_error(crypto.decrypt, details, status=400, code="InvalidParameter")
