"""The one table mapping domain errors to Element errors ``{"name", "code", "message"}``.

Element gives every error it generates the code 500 (its documentation: "All system-generated
errors have an error code of 500"); the SDK raises ``ApiServerError`` for those, while an error
coded 400 would surface as an HTTP error instead, so every code here is 500.
"""

from __future__ import annotations

from strongroom.domain import errors
from strongroom.domain.at_rest import KmipFailure, RekeyInProgress, Sealed
from strongroom.services.at_rest.kmip_checks import KeyProviderNotFound, KeyServerNotFound

__all__ = ["ELEMENT_ERROR_CODE", "ERROR_TABLE", "ElementError", "error_object"]

ELEMENT_ERROR_CODE = 500

# Most specific first (a KmipFailure is an IncorrectState, RekeyInProgress a Conflict, Sealed
# a ServiceUnavailable, StorageIntegrityError a DecryptionFailed).
ERROR_TABLE: tuple[tuple[type[errors.StrongroomError], str], ...] = (
    (errors.StorageIntegrityError, "xInternalError"),
    (KeyProviderNotFound, "xKeyProviderNotFound"),
    (KeyServerNotFound, "xKeyServerNotFound"),
    (RekeyInProgress, "xRekeyInProgress"),
    (KmipFailure, "xKmipFailure"),
    (Sealed, "xSealed"),
    (errors.InvalidParameter, "xInvalidParameter"),
    (errors.DecryptionFailed, "xInvalidParameter"),
    (errors.NotAuthenticated, "xPermissionDenied"),
    (errors.NotFound, "xNotFound"),
    (errors.IncorrectState, "xInvalidState"),
    (errors.Conflict, "xConflict"),
    (errors.PayloadTooLarge, "xRequestTooLarge"),
    (errors.ServiceUnavailable, "xServiceUnavailable"),
)


class ElementError(Exception):
    """An error of the dialect itself (unknown method, bad parameter, bad JSON), by name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def error_object(
    error: errors.StrongroomError | ElementError, not_found: str | None = None
) -> dict[str, object]:
    """The Element error object for ``error``; a plain NotFound takes the method's own name
    for what it looks up (``not_found``, e.g. ``xAsyncHandleNotFound``) when given."""
    if isinstance(error, ElementError):
        return {"code": ELEMENT_ERROR_CODE, "name": error.name, "message": error.message}
    name = "xInternalError"
    for kind, element_name in ERROR_TABLE:
        if isinstance(error, kind):
            name = element_name
            break
    if name == "xNotFound" and not_found is not None:
        name = not_found
    message = error.message
    if isinstance(error, KmipFailure):
        message = f"KMIP {error.stage} failure: {error.message}"
    return {"code": ELEMENT_ERROR_CODE, "name": name, "message": message}
