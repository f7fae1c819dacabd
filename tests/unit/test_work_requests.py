"""Work requests and replica status, pure: the status a work request derives from its target
regions, the status of a replica from its ``secret_replicas`` row, and their OCI JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import oci
import orjson
import pytest
from oci.auth.signers import InstancePrincipalsSecurityTokenSigner

from strongroom.api.oci.work_requests import render
from strongroom.services.replication.replica_status import replica_status
from strongroom.services.replication.work_requests import WorkRequest

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SECRET = "ocid1.vaultsecret.oc1.eu-frankfurt-1.aaaa"


def _work(targets: dict[str, dict[str, Any]], finished: datetime | None = None) -> WorkRequest:
    return WorkRequest(
        id="ocid1.workrequest.oc1.eu-frankfurt-1.bbbb",
        tenancy_id="ocid1.tenancy.oc1..t",
        compartment_id="ocid1.compartment.oc1..c",
        operation_type="UPDATE_SECRET",
        resource_id=SECRET,
        resource_type="secret",
        action_type="UPDATED",
        targets=targets,
        remote=None,
        logs=[{"message": "UPDATE_SECRET accepted in eu-frankfurt-1", "timestamp": T0.isoformat()}],
        time_accepted=T0,
        time_finished=finished,
    )


def _done(when: datetime = T0) -> dict[str, Any]:
    return {"seq": 4, "state": "SUCCEEDED", "time": when.isoformat()}


def _failed(region: str, reason: str = "vault not found") -> dict[str, Any]:
    later = (T0 + timedelta(seconds=3)).isoformat()
    return {"seq": 4, "state": "FAILED", "time": later, "error": f"{region}: {reason}"}


WAITING = {"seq": 4, "state": "ACCEPTED"}


@pytest.mark.parametrize(
    ("targets", "status", "percent"),
    [
        ({}, "SUCCEEDED", 100.0),
        ({"us-ashburn-1": WAITING}, "IN_PROGRESS", 0.0),
        ({"us-ashburn-1": _done(), "ap-tokyo-1": WAITING}, "IN_PROGRESS", 50.0),
        ({"us-ashburn-1": _done(), "ap-tokyo-1": _done()}, "SUCCEEDED", 100.0),
        ({"us-ashburn-1": _failed("us-ashburn-1"), "ap-tokyo-1": WAITING}, "IN_PROGRESS", 50.0),
        ({"us-ashburn-1": _failed("us-ashburn-1"), "ap-tokyo-1": _done()}, "FAILED", 100.0),
        (
            {"a-1": _done(), "b-1": _done(), "c-1": WAITING},
            "IN_PROGRESS",
            66.7,
        ),
    ],
)
def test_status_and_percent_follow_the_target_regions(
    targets: dict[str, dict[str, Any]], status: str, percent: float
) -> None:
    work = _work(targets)
    assert work.status == status
    assert work.percent_complete == percent


def test_one_error_per_failed_region_names_the_region_and_the_reason() -> None:
    work = _work(
        {
            "us-ashburn-1": _failed("us-ashburn-1", "the target vault is not ACTIVE"),
            "ap-tokyo-1": _done(),
            "eu-paris-1": _failed("eu-paris-1", "unreachable"),
        },
        finished=T0 + timedelta(seconds=3),
    )
    errors = work.error_entries
    assert [e.region for e in errors] == ["eu-paris-1", "us-ashburn-1"]
    assert errors[1].code == "ReplicationFailed"
    assert errors[1].message == (
        "Replication to region us-ashburn-1 failed: the target vault is not ACTIVE"
    )
    assert errors[1].timestamp == T0 + timedelta(seconds=3)


def test_a_failed_target_without_a_stored_reason_still_names_its_region() -> None:
    work = _work({"us-ashburn-1": {"seq": 1, "state": "FAILED"}}, finished=T0)
    (error,) = work.error_entries
    assert "us-ashburn-1" in error.message
    assert error.timestamp == T0


def test_rendered_work_request_deserializes_into_both_sdk_models() -> None:
    work = _work({"us-ashburn-1": _failed("us-ashburn-1")}, finished=T0 + timedelta(seconds=3))
    body = render.work_request(work)
    assert body["status"] == "FAILED"
    assert body["resources"] == [
        {
            "entityType": "secret",
            "actionType": "UPDATED",
            "identifier": SECRET,
            "entityUri": f"/20180608/secrets/{SECRET}",
        }
    ]
    assert body["timeAccepted"] == "2026-01-02T03:04:05.000Z"
    assert body["timeStarted"] == body["timeAccepted"]
    assert body["timeFinished"] == "2026-01-02T03:04:08.000Z"
    assert body["logs"] == [
        {"message": "UPDATE_SECRET accepted in eu-frankfurt-1", "timestamp": body["timeAccepted"]}
    ]

    raw = orjson.dumps(body)
    for client in _sdk_clients():
        for model in ("WorkRequest", "WorkRequestSummary"):
            parsed = client.deserialize_response_data(raw, model)
            assert parsed.status == "FAILED"
            assert parsed.percent_complete == 100.0
            assert parsed.time_finished == T0 + timedelta(seconds=3)
            if hasattr(parsed, "resources"):  # not work_requests' WorkRequestSummary
                assert parsed.resources[0].entity_uri == f"/20180608/secrets/{SECRET}"
    identity = _sdk_clients()[1].deserialize_response_data(raw, "WorkRequest")
    assert identity.errors[0].code == "ReplicationFailed"
    assert identity.logs[0].message.startswith("UPDATE_SECRET accepted")
    errors = [render.error(e) for e in work.error_entries]
    assert errors[0]["code"] == "ReplicationFailed"
    assert errors[0]["timestamp"] == "2026-01-02T03:04:08.000Z"


def test_the_resource_is_in_progress_until_the_work_request_is_done() -> None:
    work = _work({"us-ashburn-1": WAITING})
    (resource,) = render.resources(work)
    assert resource["actionType"] == "IN_PROGRESS"
    summary = render.work_request_summary(work)
    assert summary["timeFinished"] is None
    assert "logs" not in summary


def _sdk_clients() -> list[Any]:
    """The base clients of WorkRequestClient and IdentityClient (to deserialize with)."""
    signer = InstancePrincipalsSecurityTokenSigner.__new__(InstancePrincipalsSecurityTokenSigner)
    config = {"region": "eu-frankfurt-1"}
    return [
        oci.work_requests.WorkRequestClient(config, signer=signer).base_client,
        oci.identity.IdentityClient(config, signer=signer).base_client,
    ]


# --- replica status ----------------------------------------------------------------------------


def _replica(**fields: Any) -> SimpleNamespace:
    row = {
        "secret_id": SECRET,
        "region": "us-ashburn-1",
        "applied_seq": 3,
        "wanted_seq": 3,
        "applied_version": 2,
        "time_applied": T0,
        "time_changed": T0,
        "last_error": None,
        "removed": False,
    }
    return SimpleNamespace(**{**row, **fields})


NOW = T0 + timedelta(seconds=90)


@pytest.mark.parametrize(
    ("fields", "state", "lag", "error"),
    [
        ({}, "IN_SYNC", 0.0, None),
        # An error from an older attempt no longer matters once the region caught up.
        ({"last_error": "unreachable"}, "IN_SYNC", 0.0, None),
        ({"wanted_seq": 5}, "PENDING", 90.0, None),
        ({"wanted_seq": 5, "last_error": "vault gone"}, "FAILED", 90.0, "vault gone"),
        ({"wanted_seq": 5, "removed": True}, "REMOVING", 90.0, None),
        ({"removed": True, "last_error": "unreachable"}, "REMOVING", 0.0, "unreachable"),
    ],
)
def test_replica_state_and_lag(
    fields: dict[str, Any], state: str, lag: float, error: str | None
) -> None:
    status = replica_status(_replica(**fields), NOW)
    assert (status.state, status.lag_seconds, status.last_error) == (state, lag, error)


def test_replication_status_renders_one_item_per_target() -> None:
    statuses = [
        replica_status(_replica(), NOW),
        replica_status(
            _replica(region="ap-tokyo-1", wanted_seq=4, applied_version=None, time_applied=None),
            NOW,
        ),
    ]
    assert render.replication_status(statuses) == {
        "items": [
            {
                "targetRegion": "us-ashburn-1",
                "state": "IN_SYNC",
                "lagSeconds": 0.0,
                "lastError": None,
                "lastAppliedVersionNumber": 2,
                "timeLastApplied": "2026-01-02T03:04:05.000Z",
            },
            {
                "targetRegion": "ap-tokyo-1",
                "state": "PENDING",
                "lagSeconds": 90.0,
                "lastError": None,
                "lastAppliedVersionNumber": None,
                "timeLastApplied": None,
            },
        ]
    }
