"""Work requests and replication status through the use cases: rows of ``work_requests`` and
``secret_replicas`` written directly (as the capture and shipping write them), read back by
callers who may or may not read the secret they are about."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, update

from strongroom.domain.errors import NotFound
from strongroom.domain.paging import PageRequest
from strongroom.domain.secret import Secret
from strongroom.services.context import Call
from strongroom.services.ports import Deps
from strongroom.services.replication import replica_status as rs
from strongroom.services.replication import work_requests as w
from strongroom.storage import realm_schema
from tests.clock import ManualClock
from tests.usecases import identity_support as ids
from tests.usecases import secret_support as s
from tests.usecases.secret_support import NewAesKey, NewVault


def _secret(deps: Deps, call: Call, new_vault: NewVault, new_aes_key: NewAesKey) -> Secret:
    return s.create(deps, call, new_vault, new_aes_key)


def _work_request(
    deps: Deps, secret: Secret, targets: dict[str, dict[str, Any]], **fields: Any
) -> str:
    work_id = f"ocid1.workrequest.oc1.{deps.region}.{uuid.uuid4().hex}"
    now = deps.clock.now()
    values = {
        "id": work_id,
        "tenancy_id": secret.tenancy_id,
        "compartment_id": secret.compartment_id,
        "operation_type": "UPDATE_SECRET",
        "resource_id": secret.id,
        "resource_type": "secret",
        "action_type": "UPDATED",
        "targets": targets,
        "remote": None,
        "logs": [{"message": "UPDATE_SECRET accepted", "timestamp": now.isoformat()}],
        "time_accepted": now,
        "time_finished": None,
        **fields,
    }
    with deps.db.transaction() as tx:
        tx.conn.execute(insert(realm_schema.work_requests).values(values))
    return work_id


def _get(deps: Deps, call: Call, work_id: str) -> w.WorkRequest:
    return w.get_visible_work_request(deps, call, w.GetWorkRequestRequest(work_id))


def _list(deps: Deps, call: Call, compartment: str, resource: str | None = None) -> list[str]:
    request = w.ListWorkRequestsRequest(compartment, resource, PageRequest(limit=1000))
    return [x.id for x in w.list_visible_work_requests(deps, call, request).items]


def test_a_work_request_goes_from_in_progress_to_succeeded_as_its_regions_settle(
    deps: Deps,
    admin_call: Call,
    clock: ManualClock,
    new_vault: NewVault,
    new_aes_key: NewAesKey,
) -> None:
    secret = _secret(deps, admin_call, new_vault, new_aes_key)
    targets = {"us-ashburn-1": {"seq": 1, "state": "ACCEPTED"}}
    targets["ap-tokyo-1"] = {"seq": 1, "state": "ACCEPTED"}
    work_id = _work_request(deps, secret, targets)

    found = _get(deps, admin_call, work_id)
    assert (found.status, found.percent_complete, found.time_finished) == ("IN_PROGRESS", 0.0, None)

    clock.advance(timedelta(seconds=2))
    with deps.db.transaction() as tx:
        w.settle_targets(deps, tx, secret.id, "us-ashburn-1", 1, None)
    assert _get(deps, admin_call, work_id).percent_complete == 50.0
    with deps.db.transaction() as tx:
        w.settle_targets(deps, tx, secret.id, "ap-tokyo-1", 3, None)
    done = _get(deps, admin_call, work_id)
    assert (done.status, done.percent_complete) == ("SUCCEEDED", 100.0)
    assert done.time_finished == clock.now()
    logs = w.list_work_request_logs(
        deps, admin_call, w.ListWorkRequestLogsRequest(work_id, PageRequest(limit=2))
    )
    assert [e.message for e in logs.items] == ["UPDATE_SECRET accepted", "us-ashburn-1: applied"]
    assert logs.next_offset == 2


def test_a_failed_region_fails_the_work_request_with_one_error_naming_it(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    secret = _secret(deps, admin_call, new_vault, new_aes_key)
    targets = {r: {"seq": 2, "state": "ACCEPTED"} for r in ("us-ashburn-1", "ap-tokyo-1")}
    work_id = _work_request(deps, secret, targets)
    with deps.db.transaction() as tx:
        w.settle_targets(deps, tx, secret.id, "ap-tokyo-1", 2, None)
    with deps.db.transaction() as tx:
        w.settle_targets(deps, tx, secret.id, "us-ashburn-1", 2, "the target vault does not exist")

    assert _get(deps, admin_call, work_id).status == "FAILED"
    request = w.ListWorkRequestErrorsRequest(work_id, PageRequest(limit=10))
    (error,) = w.list_work_request_errors(deps, admin_call, request).items
    assert error.code == "ReplicationFailed"
    assert error.message == (
        "Replication to region us-ashburn-1 failed: the target vault does not exist"
    )


def test_unknown_work_requests_and_secrets_are_not_found(deps: Deps, admin_call: Call) -> None:
    missing = f"ocid1.workrequest.oc1.{deps.region}.{uuid.uuid4().hex}"
    with pytest.raises(NotFound):
        _get(deps, admin_call, missing)
    with pytest.raises(NotFound):
        request = w.ListWorkRequestLogsRequest(missing, PageRequest())
        w.list_work_request_logs(deps, admin_call, request)
    with pytest.raises(NotFound):
        secret_id = f"ocid1.vaultsecret.oc1.{deps.region}.{uuid.uuid4().hex}"
        rs.get_secret_replication_status(
            deps, admin_call, rs.GetSecretReplicationStatusRequest(secret_id)
        )


def test_callers_see_the_work_requests_of_the_secrets_they_may_read(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    mine = _secret(deps, admin_call, new_vault, new_aes_key)
    other = _secret(deps, admin_call, new_vault, new_aes_key)
    mine_work = _work_request(deps, mine, {"us-ashburn-1": {"seq": 1, "state": "ACCEPTED"}})
    other_work = _work_request(deps, other, {"us-ashburn-1": {"seq": 1, "state": "ACCEPTED"}})
    user = ids.new_user(deps, admin_call)
    group = ids.new_group(deps, admin_call, user)
    outsider = ids.call_of(deps, user)
    tenancy = admin_call.principal.tenancy_id

    for work_id in (mine_work, other_work):
        with pytest.raises(NotFound):
            _get(deps, outsider, work_id)
    assert _list(deps, outsider, tenancy, mine.id) == []
    status = rs.GetSecretReplicationStatusRequest(mine.id)
    with pytest.raises(NotFound):
        rs.get_secret_replication_status(deps, outsider, status)

    ids.grant(
        deps,
        admin_call,
        f"Allow group {group.name} to read secrets in tenancy "
        f"where target.secret.name = '{mine.name}'",
    )
    reader = ids.call_of(deps, user)
    assert _get(deps, reader, mine_work).id == mine_work
    with pytest.raises(NotFound):
        _get(deps, reader, other_work)
    listed = _list(deps, reader, tenancy)
    assert mine_work in listed and other_work not in listed
    assert _list(deps, reader, tenancy, mine.id) == [mine_work]
    assert rs.get_secret_replication_status(deps, reader, status) == []
    # The administrator sees both, newest first.
    assert _list(deps, admin_call, tenancy, other.id) == [other_work]


def test_work_requests_of_a_compartment_page_newest_first(
    deps: Deps,
    admin_call: Call,
    clock: ManualClock,
    new_vault: NewVault,
    new_aes_key: NewAesKey,
) -> None:
    secret = _secret(deps, admin_call, new_vault, new_aes_key)
    made = []
    for _ in range(3):
        made.append(_work_request(deps, secret, {}, time_finished=deps.clock.now()))
        clock.advance(timedelta(seconds=1))
    tenancy = admin_call.principal.tenancy_id
    first = w.list_visible_work_requests(
        deps, admin_call, w.ListWorkRequestsRequest(tenancy, secret.id, PageRequest(limit=2))
    )
    assert [x.id for x in first.items] == made[::-1][:2]
    assert first.next_offset == 2
    rest = w.list_visible_work_requests(
        deps,
        admin_call,
        w.ListWorkRequestsRequest(tenancy, secret.id, PageRequest(limit=2, offset=2)),
    )
    assert [x.id for x in rest.items] == [made[0]]
    assert rest.next_offset is None
    assert all(x.status == "SUCCEEDED" for x in first.items)


def test_replication_status_from_secret_replicas(
    deps: Deps,
    admin_call: Call,
    clock: ManualClock,
    new_vault: NewVault,
    new_aes_key: NewAesKey,
) -> None:
    secret = _secret(deps, admin_call, new_vault, new_aes_key)
    R = realm_schema.secret_replicas
    now = clock.now()
    rows = [
        ("ap-tokyo-1", 4, 4, 2, now, None, False),
        ("eu-paris-1", 3, 4, 1, now, "the target key is disabled", False),
        ("us-ashburn-1", 0, 4, None, None, None, False),
    ]
    with deps.db.transaction() as tx:
        for region, applied, wanted, version, applied_at, error, removed in rows:
            tx.conn.execute(
                insert(R).values(
                    secret_id=secret.id,
                    region=region,
                    applied_seq=applied,
                    wanted_seq=wanted,
                    applied_version=version,
                    time_applied=applied_at,
                    time_changed=now,
                    last_error=error,
                    removed=removed,
                )
            )
    clock.advance(timedelta(seconds=30))
    request = rs.GetSecretReplicationStatusRequest(secret.id)
    found = rs.get_secret_replication_status(deps, admin_call, request)
    assert [(x.region, x.state, x.lag_seconds) for x in found] == [
        ("ap-tokyo-1", "IN_SYNC", 0.0),
        ("eu-paris-1", "FAILED", 30.0),
        ("us-ashburn-1", "PENDING", 30.0),
    ]
    assert found[0].last_applied_version == 2 and found[0].time_last_applied == now
    assert found[1].last_error == "the target key is disabled"

    with deps.db.transaction() as tx:
        where = (R.c.secret_id == secret.id, R.c.region == "us-ashburn-1")
        tx.conn.execute(update(R).where(*where).values(removed=True))
    statuses = rs.replication_statuses(deps, secret.id)
    assert [x.state for x in statuses] == ["IN_SYNC", "FAILED", "REMOVING"]
    assert {x.secret_id for x in rs.replication_statuses(deps)} >= {secret.id}
