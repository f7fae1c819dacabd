"""The metrics module: what each recorder counts, what a scrape shows, and that the same
instrumentation works in prometheus_client's multiprocess mode (several processes, one scrape).

Metrics are process-wide, so every test reads what its own actions added (labels no other
test uses, or values before and after).
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from strongroom import metrics
from strongroom.api.alibaba.endpoint import AlibabaEndpoint
from strongroom.api.element.app import ElementEndpoint
from strongroom.api.element.auth import ElementCredentials
from strongroom.domain.identity import AuditRow
from strongroom.metrics import REGISTRY, OperationMetrics, RequestMetrics
from strongroom.services import caches
from strongroom.services.audit.log import AuditLog
from strongroom.services.caches import TTLCache


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _scrape(accept: str = "") -> dict[str, Any]:
    body, _ = metrics.exposition(accept)
    return {family.name: family for family in text_string_to_metric_families(body.decode())}


def test_a_request_counts_once_and_lands_in_its_latency_bucket() -> None:
    operation = _unique("Encrypt")
    recorder = OperationMetrics("oci", operation)
    recorder.observe(200, 0.0003)
    recorder.observe(200, 0.002)
    recorder.observe(404, 0.04)
    ok = {"api": "oci", "operation": operation, "status": "200"}
    assert _value("strongroom_requests_total", **ok) == 2
    assert _value("strongroom_requests_total", **{**ok, "status": "404"}) == 1
    assert _value("strongroom_request_duration_seconds_count", **ok) == 2
    assert _value("strongroom_request_duration_seconds_bucket", **ok, le="0.0005") == 1
    assert _value("strongroom_request_duration_seconds_bucket", **ok, le="0.0025") == 2
    assert _value("strongroom_request_duration_seconds_sum", **ok) == pytest.approx(0.0023)


def test_children_are_bound_once_per_status_and_operations_once_per_name() -> None:
    recorder = OperationMetrics("alibaba", _unique("Decrypt"))
    recorder.observe(200, 0.001)
    bound = recorder._by_status[200]
    recorder.observe(200, 0.001)
    assert recorder._by_status[200] is bound
    api = RequestMetrics("element")
    assert api.operation("GetAPI") is api.operation("GetAPI")


def test_denials_ekm_calls_and_circuits_are_recorded_by_their_labels() -> None:
    operation, vault = _unique("GetKey"), _unique("ocid1.vault")
    metrics.authorization_denied(operation)
    assert _value("strongroom_authorization_denials_total", operation=operation) == 1
    metrics.ekm_call(vault, "encrypt", 0.01)
    metrics.ekm_call(vault, "encrypt", 0.3, "Unavailable")
    assert (
        _value("strongroom_ekm_call_duration_seconds_count", vault=vault, operation="encrypt") == 2
    )
    errors = {"vault": vault, "operation": "encrypt", "error": "Unavailable"}
    assert _value("strongroom_ekm_call_errors_total", **errors) == 1
    metrics.ekm_circuit(vault, True)
    assert _value("strongroom_ekm_circuit_open", vault=vault) == 1
    metrics.ekm_circuit(vault, False)
    assert _value("strongroom_ekm_circuit_open", vault=vault) == 0


def test_a_jobs_lag_is_derived_from_its_last_success_when_scraped() -> None:
    job = _unique("scheduler")
    registry = metrics.scrape_registry(wall=lambda: 1_000_030.0)
    assert registry.get_sample_value("strongroom_background_job_lag_seconds", {"job": job}) is None
    metrics.job_succeeded(job, now=1_000_000.0)
    metrics.job_failed(job)
    lag = registry.get_sample_value("strongroom_background_job_lag_seconds", {"job": job})
    assert lag == 30.0
    assert _value("strongroom_background_job_failures_total", job=job) == 1
    last = _value("strongroom_background_job_last_success_timestamp_seconds", job=job)
    assert last == 1_000_000.0


def test_a_named_cache_counts_hits_and_misses() -> None:
    name = _unique("keys_in_use")
    cache: TTLCache[str] = TTLCache(ttl_seconds=60, name=name)
    assert cache.get("k") is None
    assert cache.fetch("k", lambda: "v") == "v"  # one miss, however it then loads
    assert cache.get("k") == "v"
    assert cache.fetch("k", lambda: "other") == "v"
    assert _value("strongroom_cache_misses_total", cache=name) == 2
    assert _value("strongroom_cache_hits_total", cache=name) == 2


def test_a_cache_without_a_name_binds_no_counters(monkeypatch: pytest.MonkeyPatch) -> None:
    bound: list[str] = []

    def counters(name: str) -> tuple[Callable[[], None], Callable[[], None]]:
        bound.append(name)
        return metrics.cache_counters(name)

    monkeypatch.setattr(caches, "cache_counters", counters)
    unnamed: TTLCache[str] = TTLCache(ttl_seconds=60)
    unnamed.put("k", "v")
    assert unnamed.get("k") == "v"
    assert unnamed.get("other") is None
    TTLCache[str](ttl_seconds=60, name="named")
    assert bound == ["named"]


def _post(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    """POST an empty body to the ASGI ``app``; the status it answers."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5555),
        "path_params": {"version": "12.3"},
    }
    asyncio.run(app(scope, receive, send))
    return int(sent[0]["status"])


def test_the_alibaba_and_element_transports_count_their_requests() -> None:
    """Refused before any use case runs (no storage needed): an unsigned Alibaba request is
    counted under InvalidAction, an Element request with wrong credentials under
    Unauthenticated."""
    deps: Any = SimpleNamespace(audit=None)
    unsigned = {"api": "alibaba", "operation": "InvalidAction", "status": "400"}
    before = _value("strongroom_requests_total", **unsigned)
    assert _post(AlibabaEndpoint(deps), "/", []) == 400
    assert _value("strongroom_requests_total", **unsigned) == before + 1

    element = ElementEndpoint(deps, ElementCredentials("admin", "right"), "ocid1.tenancy.oc1..t")
    wrong = b"Basic " + base64.b64encode(b"admin:wrong")
    refused = {"api": "element", "operation": "Unauthenticated", "status": "401"}
    before = _value("strongroom_requests_total", **refused)
    assert _post(element, "/json-rpc/12.3", [(b"authorization", wrong)]) == 401
    assert _value("strongroom_requests_total", **refused) == before + 1
    assert _value("strongroom_request_duration_seconds_count", **refused) >= 1


class _DownDatabase:
    """A database that cannot be written."""

    def transaction(self) -> Any:
        raise OSError("the database is down")


def _row() -> AuditRow:
    when = datetime.now(UTC)
    return ("e", when, None, None, None, "Encrypt", None, None, "allowed", 200, "r", None, None)


def test_the_audit_queue_reports_its_depth_and_every_event_it_drops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The depth is one gauge per process, which other audit logs of this process (servers
    # of other tests) may set meanwhile: the values set are watched instead.
    depths: list[int] = []
    monkeypatch.setattr(metrics, "audit_queue_depth", depths.append)
    down: Any = _DownDatabase()
    audit = AuditLog(down, max_buffer=3)
    audit.close()  # no writer thread: what is queued stays queued
    dropped = _value("strongroom_audit_events_dropped_total")
    for _ in range(5):
        audit.record(_row())
    assert _value("strongroom_audit_events_dropped_total") == dropped + 2
    with pytest.raises(OSError):
        audit.flush()
    assert 3 in depths  # kept for the next try


def test_a_scrape_is_the_text_format_or_openmetrics_as_accept_prefers() -> None:
    body, content_type = metrics.exposition("")
    assert content_type.startswith("text/plain")
    assert b"# TYPE strongroom_requests_total counter" in body
    assert b"_created" not in body
    families = _scrape()
    kinds = {name: families[name].type for name in ("strongroom_requests", "strongroom_cache_hits")}
    assert kinds == {"strongroom_requests": "counter", "strongroom_cache_hits": "counter"}
    assert families["strongroom_request_duration_seconds"].type == "histogram"
    assert families["strongroom_barrier_sealed"].type == "gauge"
    assert families["process_resident_memory_bytes"].samples[0].value > 0
    openmetrics = "application/openmetrics-text; version=1.0.0,text/plain;q=0.5"
    body, content_type = metrics.exposition(openmetrics)
    assert content_type.startswith("application/openmetrics-text")
    assert body.endswith(b"# EOF\n")


_WORKER = """
import sys
from strongroom import metrics
metrics.RequestMetrics("oci").operation("Encrypt").observe(200, 0.001)
metrics.audit_queue_depth(int(sys.argv[1]))
metrics.barrier_sealed(sys.argv[2] == "sealed")
metrics.job_succeeded("scheduler", now=float(sys.argv[3]))
"""

_SCRAPER = """
from strongroom import metrics
body, _ = metrics.exposition("")
print(body.decode())
"""


def test_the_same_instrumentation_merges_processes_in_multiprocess_mode(tmp_path: Path) -> None:
    """With PROMETHEUS_MULTIPROC_DIR set (as ``serve --workers`` will), each process records
    as it always does and one scrape shows them merged: counters added up, the audit queue
    depths added up, the barrier sealed if any process is, the latest success. (The "live"
    gauges keep a process's values until ``mark_process_dead`` is called for it, which these
    workers' supervisor would do.)"""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    def run(script: str, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run(_WORKER, "4", "unsealed", "100")
    run(_WORKER, "5", "sealed", "200")
    families = {f.name: f for f in text_string_to_metric_families(run(_SCRAPER))}

    def value(name: str, sample: str | None = None, **labels: str) -> float:
        found = [
            s.value
            for s in families[name].samples
            if s.name == (sample or name) and labels.items() <= s.labels.items()
        ]
        assert len(found) == 1, (name, families[name].samples)
        return found[0]

    requests = {"api": "oci", "operation": "Encrypt", "status": "200"}
    assert value("strongroom_requests", "strongroom_requests_total", **requests) == 2
    assert value("strongroom_audit_queue_depth") == 9
    assert value("strongroom_barrier_sealed") == 1
    last = "strongroom_background_job_last_success_timestamp_seconds"
    assert value(last, job="scheduler") == 200
    assert value("strongroom_background_job_lag_seconds", job="scheduler") > 0
