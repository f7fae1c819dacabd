"""GetMetrics: the deployment's metrics (:mod:`strongroom.metrics`) for callers a policy allows.

The metrics describe the whole deployment (every tenancy's requests, every EXTERNAL vault's
key manager), so they are read in the deployment's own tenancy: ``Allow group Monitoring to
read metrics in tenancy`` (METRICS_READ) there, and nowhere else, grants them.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom import metrics
from strongroom.iam.target import Target
from strongroom.services.authz import authorize
from strongroom.services.context import Call
from strongroom.services.ports import Deps

__all__ = ["Exposition", "GetMetricsRequest", "get_metrics"]


@dataclass(frozen=True)
class GetMetricsRequest:
    """GetMetrics' input: the formats the scraper accepts (its ``Accept`` header)."""

    accept: str = ""


@dataclass(frozen=True)
class Exposition:
    """The metrics, encoded, and their content type (the Prometheus text format, or
    OpenMetrics when the scraper prefers it)."""

    body: bytes
    content_type: str


def get_metrics(deps: Deps, call: Call, request: GetMetricsRequest) -> Exposition:
    """The metrics as a scrape shows them (this process's; every process's of the machine in
    multiprocess mode), for a caller with METRICS_READ in the deployment's tenancy."""
    tenancy = deps.realm.tenancy or call.principal.tenancy_id
    authorize(deps, call, "GetMetrics", Target(tenancy, tenancy))
    body, content_type = metrics.exposition(request.accept)
    return Exposition(body, content_type)
