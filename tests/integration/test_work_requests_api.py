"""The work request routes through the ``oci`` SDK's WorkRequestClient and IdentityClient, and
the replicationStatus extension over signed HTTP, against a server whose ``work_requests`` and
``secret_replicas`` rows are written directly (real replication is tested elsewhere)."""

from __future__ import annotations

import uuid

import oci
import pytest
from sqlalchemy import insert

from strongroom.storage import realm_schema
from tests.integration import support
from tests.integration.secret_support import create, vaults_client
from tests.integration.support import NO_RETRY, Raw, Server


def _secret_with_work_request(server: Server) -> tuple[str, str]:
    config = server.config
    vault = support.new_vault(support.vault_client(config, server.url), server.tenancy)
    key = support.new_key(support.management_client(config, vault), server.tenancy, "AES", 32)
    secret = create(vaults_client(config, server.url), vault, key, b"v1")
    deps = server.deps
    now = deps.clock.now()
    work_id = f"ocid1.workrequest.oc1.{deps.region}.{uuid.uuid4().hex}"
    failed = {"seq": 1, "state": "FAILED", "time": now.isoformat(), "error": "ap-tokyo-1: boom"}
    with deps.db.transaction() as tx:
        tx.conn.execute(
            insert(realm_schema.work_requests).values(
                id=work_id,
                tenancy_id=server.tenancy,
                compartment_id=secret.compartment_id,
                operation_type="CREATE_SECRET",
                resource_id=secret.id,
                resource_type="secret",
                action_type="CREATED",
                targets={"ap-tokyo-1": failed, "eu-paris-1": {"seq": 1, "state": "SUCCEEDED"}},
                remote=None,
                logs=[{"message": "CREATE_SECRET accepted", "timestamp": now.isoformat()}],
                time_accepted=now,
                time_finished=now,
            )
        )
        tx.conn.execute(
            insert(realm_schema.secret_replicas).values(
                secret_id=secret.id,
                region="ap-tokyo-1",
                applied_seq=0,
                wanted_seq=1,
                applied_version=None,
                time_applied=None,
                time_changed=now,
                last_error="boom",
                removed=False,
            )
        )
    return secret.id, work_id


def test_work_request_client_reads_a_work_request(server: Server) -> None:
    secret_id, work_id = _secret_with_work_request(server)
    client = oci.work_requests.WorkRequestClient(
        server.config, service_endpoint=server.url, retry_strategy=NO_RETRY
    )
    work = client.get_work_request(work_id).data
    assert (work.status, work.operation_type, work.percent_complete) == (
        "FAILED",
        "CREATE_SECRET",
        100.0,
    )
    (resource,) = work.resources
    assert (resource.entity_type, resource.action_type, resource.identifier) == (
        "secret",
        "CREATED",
        secret_id,
    )
    assert resource.entity_uri == f"/20180608/secrets/{secret_id}"

    listed = client.list_work_requests(server.tenancy, resource_id=secret_id).data
    assert [x.id for x in listed] == [work_id]
    (error,) = client.list_work_request_errors(work_id).data
    assert error.code == "ReplicationFailed" and "ap-tokyo-1" in error.message
    logs = client.list_work_request_logs(work_id).data
    assert [entry.message for entry in logs] == ["CREATE_SECRET accepted"]

    identity = oci.identity.IdentityClient(
        server.config, service_endpoint=server.url, retry_strategy=NO_RETRY
    )
    same = identity.get_work_request(work_id).data
    assert same.status == "FAILED" and same.errors[0].code == "ReplicationFailed"
    by_identifier = identity.list_work_requests(server.tenancy, resource_identifier=secret_id)
    assert [x.id for x in by_identifier.data] == [work_id]

    with pytest.raises(oci.exceptions.ServiceError) as missing:
        client.get_work_request(f"ocid1.workrequest.oc1.{server.deps.region}.nothere")
    assert (missing.value.status, missing.value.code) == (404, "NotAuthorizedOrNotFound")


def test_replication_status_extension(server: Server) -> None:
    secret_id, _ = _secret_with_work_request(server)
    reply = Raw(server).request("GET", f"/20180608/secrets/{secret_id}/replicationStatus")
    assert reply.status_code == 200, reply.text
    (item,) = reply.json()["items"]
    assert item["targetRegion"] == "ap-tokyo-1"
    assert (item["state"], item["lastError"]) == ("FAILED", "boom")
