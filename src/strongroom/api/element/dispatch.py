"""The method table and one call: find the method (any case), check its parameters, run it.

Runs in a worker thread (the handlers block on storage and KMIP); every failure becomes an
Element error object, never an exception."""

from __future__ import annotations

import logging

from strongroom.api.element import (
    encryption,
    kmip_providers,
    kmip_servers,
    software_encryption,
    versions,
)
from strongroom.api.element.errors import ElementError, error_object
from strongroom.api.element.method import ElementMethod
from strongroom.api.element.params import parse_params
from strongroom.domain.errors import StorageIntegrityError, StrongroomError
from strongroom.services.context import Call
from strongroom.services.ports import Deps

__all__ = ["METHODS", "Outcome", "find_method", "run_method"]

log = logging.getLogger("strongroom.api")

METHODS: dict[str, ElementMethod] = {
    method.name.lower(): method
    for method in (
        *versions.METHODS,
        *kmip_servers.METHODS,
        *kmip_providers.METHODS,
        *encryption.METHODS,
        *software_encryption.METHODS,
    )
}

# ("result", body) or ("error", Element error object)
Outcome = tuple[str, dict[str, object]]


def find_method(name: object) -> ElementMethod:
    """The method ``name`` names, in any case; xUnknownAPIMethod otherwise."""
    if not isinstance(name, str) or not name:
        raise ElementError("xInvalidRequest", "The request must name its method (a string)")
    method = METHODS.get(name.lower())
    if method is None:
        raise ElementError("xUnknownAPIMethod", f"Unknown API method: method={name[:100]}")
    return method


def run_method(deps: Deps, call: Call, method: ElementMethod, raw_params: object) -> Outcome:
    """Check ``raw_params`` against ``method``'s and run it; errors become error objects."""
    try:
        params = parse_params(method.name, method.params, raw_params)
        return "result", method.handler(deps, call, params)
    except ElementError as error:
        return "error", error_object(error)
    except StorageIntegrityError as error:
        log.error(
            "stored value failed its integrity check: table %s, row %s (%s, request %s)",
            error.table,
            error.row,
            method.name,
            call.request_id,
        )
        return "error", _internal(call)
    except StrongroomError as error:
        return "error", error_object(error, method.not_found)
    except Exception:
        log.exception(
            "unhandled error in Element method %s (request %s)", method.name, call.request_id
        )
        return "error", _internal(call)


def _internal(call: Call) -> dict[str, object]:
    message = f"Internal error; request id {call.request_id}"
    return error_object(ElementError("xInternalError", message))
