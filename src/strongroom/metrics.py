"""Every metric Strongroom exports, in the Prometheus text format (prometheus_client).

Metrics are defined here and only here; the code that knows what a metric measures records it
through the small functions below (a line at each place), so no other module touches
prometheus_client:

| metric | labels | recorded by |
|---|---|---|
| ``strongroom_requests_total`` | api, operation, status | the OCI, Alibaba and Element endpoints |
| ``strongroom_request_duration_seconds`` (histogram) | api, operation, status | the same |
| ``strongroom_authorization_denials_total`` | operation | ``services/authz.py`` |
| ``strongroom_ekm_call_duration_seconds`` (histogram) | vault, operation | ``services/external`` |
| ``strongroom_ekm_call_errors_total`` | vault, operation, error | ``services/external`` |
| ``strongroom_ekm_circuit_open`` (0/1) | vault | ``services/external`` |
| ``strongroom_audit_queue_depth`` | | ``services/audit/log.py`` (each write) |
| ``strongroom_audit_events_dropped_total`` | | ``services/audit/log.py`` (buffer full) |
| ``strongroom_cache_hits_total``, ``..._misses_total`` | cache | ``services/caches.py`` |
| ``strongroom_background_job_last_success_timestamp_seconds`` | job | ``services/leases.py`` |
| ``strongroom_background_job_lag_seconds`` | job | derived when scraped |
| ``strongroom_background_job_failures_total`` | job | ``services/leases.py`` |
| ``strongroom_barrier_sealed`` (0/1) | | ``services/at_rest/keeper.py`` |

Label values come from closed sets (route tables, action and method tables, HTTP statuses,
error classes, cache and job names) or from EXTERNAL vault ids, never from a request's text.

**Several processes.** prometheus_client keeps values in this process's memory, or, when the
environment variable ``PROMETHEUS_MULTIPROC_DIR`` names a directory *before prometheus_client
is first imported*, in files there that every process of the machine writes;
:func:`scrape_registry` then merges them (``MultiProcessCollector``). Nothing else changes:
the gauges below already say how their processes' values combine (``multiprocess_mode``:
the audit queue depths add up, a circuit is open or the barrier sealed if it is so in any live
process, a job's last success is the latest of any process, dead ones included). The lag is
derived from the merged last successes at scrape time, so it is right in both modes. What
stays for the supervisor of such processes: an empty directory at start, and
``prometheus_client.multiprocess.mark_process_dead(pid)`` for each process that exits (which
is what makes the "live" gauges forget it); the per-process collectors (CPU, memory, GC) are
then left out of a scrape.

**Cost.** A request records two values (a counter and a histogram child bound once per
operation and status: :class:`OperationMetrics`), a cache lookup one; a child's update takes
a lock, a few hundred nanoseconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

__all__ = [
    "LATENCY_BUCKETS",
    "MULTIPROCESS_ENV",
    "REGISTRY",
    "OperationMetrics",
    "RequestMetrics",
    "audit_event_dropped",
    "audit_queue_depth",
    "authorization_denied",
    "barrier_sealed",
    "cache_counters",
    "ekm_call",
    "ekm_circuit",
    "exposition",
    "job_failed",
    "job_succeeded",
    "scrape_registry",
]

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# From 0.5 ms (an inline Encrypt) to 10 s: the default buckets start at 5 ms, which would put
# nearly every request of a KMS into the first one.
LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0
)  # fmt: skip

# The ``*_created`` series would double every counter and histogram for a value nobody reads.
disable_created_metrics()  # type: ignore[no-untyped-call]

REGISTRY = CollectorRegistry(auto_describe=True)
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)  # this process's CPU, memory and collector (one process)

_REQUESTS = Counter(
    "strongroom_requests",
    "API requests answered, by API (oci, alibaba, element), operation and HTTP status "
    "(Element: its error code).",
    ("api", "operation", "status"),
    registry=REGISTRY,
)
_REQUEST_SECONDS = Histogram(
    "strongroom_request_duration_seconds",
    "Time from a request's arrival to its answer, by API, operation and HTTP status.",
    ("api", "operation", "status"),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
_DENIALS = Counter(
    "strongroom_authorization_denials",
    "Calls refused by authorization (IAM policies and key policies), by operation.",
    ("operation",),
    registry=REGISTRY,
)
_EKM_SECONDS = Histogram(
    "strongroom_ekm_call_duration_seconds",
    "Calls to the external key manager of an EXTERNAL vault, by vault and operation "
    "(encrypt, decrypt, health), failed ones included.",
    ("vault", "operation"),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
_EKM_ERRORS = Counter(
    "strongroom_ekm_call_errors",
    "Failed calls to an EXTERNAL vault's external key manager, by vault, operation and error.",
    ("vault", "operation", "error"),
    registry=REGISTRY,
)
_EKM_CIRCUIT = Gauge(
    "strongroom_ekm_circuit_open",
    "1 while calls to an EXTERNAL vault's external key manager are refused at once (its "
    "circuit breaker is open), as of the last call or health check; else 0.",
    ("vault",),
    registry=REGISTRY,
    multiprocess_mode="livemax",
)
_AUDIT_DEPTH = Gauge(
    "strongroom_audit_queue_depth",
    "Audit events waiting to be written, as of the audit writer's last batch.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
_AUDIT_DROPPED = Counter(
    "strongroom_audit_events_dropped",
    "Audit events dropped because the audit buffer was full (there must be none).",
    registry=REGISTRY,
)
_CACHE_HITS = Counter(
    "strongroom_cache_hits",
    "Lookups a hot-path cache answered, by cache.",
    ("cache",),
    registry=REGISTRY,
)
_CACHE_MISSES = Counter(
    "strongroom_cache_misses",
    "Lookups a hot-path cache could not answer (the caller loaded the value), by cache.",
    ("cache",),
    registry=REGISTRY,
)
_JOB_LAST_SUCCESS_NAME = "strongroom_background_job_last_success_timestamp_seconds"
_JOB_LAST_SUCCESS = Gauge(
    _JOB_LAST_SUCCESS_NAME,
    "When a background job (the scheduler of rotations and deletions) last finished a "
    "round, in seconds since the epoch.",
    ("job",),
    registry=REGISTRY,
    multiprocess_mode="max",
)
_JOB_FAILURES = Counter(
    "strongroom_background_job_failures",
    "Rounds of a background job that failed (retried the next round), by job.",
    ("job",),
    registry=REGISTRY,
)
_JOB_LAG_NAME = "strongroom_background_job_lag_seconds"
_SEALED = Gauge(
    "strongroom_barrier_sealed",
    "1 while the barrier is sealed (no keyring loaded: the data APIs answer 503), else 0.",
    registry=REGISTRY,
    multiprocess_mode="livemax",
)


class OperationMetrics:
    """The request counter and latency histogram of one operation of one API, with each
    status's children bound on its first use: recording a request is one lookup by status
    and two updates, with nothing allocated."""

    __slots__ = ("_api", "_by_status", "_operation")

    def __init__(self, api: str, operation: str) -> None:
        self._api = api
        self._operation = operation
        self._by_status: dict[int, tuple[Callable[[], None], Callable[[float], None]]] = {}

    def observe(self, status: int, seconds: float) -> None:
        """One request answered with ``status`` after ``seconds``."""
        bound = self._by_status.get(status)
        if bound is None:
            bound = self._bind(status)
        count, observe = bound
        count()
        observe(seconds)

    def _bind(self, status: int) -> tuple[Callable[[], None], Callable[[float], None]]:
        labels = (self._api, self._operation, str(status))
        bound = (_REQUESTS.labels(*labels).inc, _REQUEST_SECONDS.labels(*labels).observe)
        return self._by_status.setdefault(status, bound)


class RequestMetrics:
    """The :class:`OperationMetrics` of an API whose operation is known per request (the
    Alibaba action, the Element method), each made once."""

    __slots__ = ("_api", "_operations")

    def __init__(self, api: str) -> None:
        self._api = api
        self._operations: dict[str, OperationMetrics] = {}

    def operation(self, name: str) -> OperationMetrics:
        """The metrics of operation ``name`` (a name from the API's own table)."""
        found = self._operations.get(name)
        if found is None:
            found = self._operations.setdefault(name, OperationMetrics(self._api, name))
        return found


def authorization_denied(operation: str) -> None:
    """Authorization refused a call of ``operation``."""
    _DENIALS.labels(operation).inc()


def ekm_call(vault_id: str, operation: str, seconds: float, error: str | None = None) -> None:
    """A call to ``vault_id``'s external key manager took ``seconds``; ``error`` names how it
    failed (an EKM client error class), None when it succeeded."""
    _EKM_SECONDS.labels(vault_id, operation).observe(seconds)
    if error is not None:
        _EKM_ERRORS.labels(vault_id, operation, error).inc()


def ekm_circuit(vault_id: str, is_open: bool) -> None:
    """Whether calls to ``vault_id``'s external key manager are refused at once right now."""
    _EKM_CIRCUIT.labels(vault_id).set(1 if is_open else 0)


def audit_queue_depth(depth: int) -> None:
    """How many audit events wait to be written."""
    _AUDIT_DEPTH.set(depth)


def audit_event_dropped(count: int = 1) -> None:
    """``count`` audit events were dropped (the buffer was full)."""
    _AUDIT_DROPPED.inc(count)


def cache_counters(cache: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """(count a hit, count a miss) of the cache named ``cache``, bound once."""
    return _CACHE_HITS.labels(cache).inc, _CACHE_MISSES.labels(cache).inc


def job_succeeded(job: str, now: float | None = None) -> None:
    """A round of background job ``job`` finished (at ``now``, seconds since the epoch)."""
    _JOB_LAST_SUCCESS.labels(job).set(time.time() if now is None else now)


def job_failed(job: str) -> None:
    """A round of background job ``job`` failed."""
    _JOB_FAILURES.labels(job).inc()


def barrier_sealed(sealed: bool) -> None:
    """Whether this process's barrier is sealed."""
    _SEALED.set(1 if sealed else 0)


class _Scrape:
    """What a scrape shows: the recorded families, then each background job's lag, derived
    from the (merged) last successes at scrape time."""

    def __init__(self, source: Collector, wall: Callable[[], float] = time.time) -> None:
        self._source = source
        self._wall = wall

    def collect(self) -> Iterator[Metric]:
        now = self._wall()
        lag = GaugeMetricFamily(
            _JOB_LAG_NAME,
            "Seconds since a background job last finished a round (absent before its first).",
            labels=("job",),
        )
        for family in self._source.collect():
            yield family
            if family.name == _JOB_LAST_SUCCESS_NAME:
                for sample in family.samples:
                    lag.add_metric((sample.labels["job"],), max(0.0, now - sample.value))
        yield lag


def scrape_registry(wall: Callable[[], float] = time.time) -> CollectorRegistry:
    """What a scrape collects: this process's metrics, or with ``PROMETHEUS_MULTIPROC_DIR``
    set every process's, merged (see the module's docstring); ``wall`` dates the lag."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROCESS_ENV):
        merged = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        registry.register(_Scrape(merged, wall))
    else:
        registry.register(_Scrape(REGISTRY, wall))
    return registry


def exposition(accept: str = "") -> tuple[bytes, str]:
    """The metrics in the format the scraper's ``Accept`` header prefers (the Prometheus text
    format, or OpenMetrics), and that format's content type."""
    encode, content_type = choose_encoder(accept)
    return encode(scrape_registry()), content_type
