"""GetAsyncResult and ListAsyncResults: the progress and outcome of asynchronous work."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.at_rest import AsyncResult
from strongroom.domain.errors import NotFound
from strongroom.services.context import Call
from strongroom.services.ports import Deps

__all__ = [
    "GetAsyncResultRequest",
    "ListAsyncResultsRequest",
    "get_async_result",
    "list_async_results",
]


@dataclass(frozen=True)
class GetAsyncResultRequest:
    """Read async result ``handle``; a finished one is forgotten unless ``keep_result``."""

    handle: int
    keep_result: bool = False


@dataclass(frozen=True)
class ListAsyncResultsRequest:
    """List kept async results, of ``result_types`` when given."""

    result_types: tuple[str, ...] | None = None


def get_async_result(deps: Deps, call: Call, request: GetAsyncResultRequest) -> AsyncResult:
    """The result (NotFound for an unknown or already forgotten handle)."""
    with deps.db.transaction(read_only=True) as tx:  # polled often: no write lock for that
        result = tx.at_rest.async_result(request.handle)
    if result is None:
        raise NotFound(f"Async result {request.handle} does not exist")
    if result.status == "complete" and not request.keep_result:
        with deps.db.transaction() as tx:
            tx.at_rest.delete_async_result(request.handle)
    return result


def list_async_results(
    deps: Deps, call: Call, request: ListAsyncResultsRequest
) -> list[AsyncResult]:
    """Kept results, oldest first."""
    with deps.db.transaction(read_only=True) as tx:
        return tx.at_rest.async_results(request.result_types)
