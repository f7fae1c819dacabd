"""The one table mapping domain errors to OCI error responses."""

from __future__ import annotations

from strongroom.domain import errors

__all__ = ["ERROR_TABLE", "message_for", "status_and_code"]

# Most specific first: NotAuthorized is a NotFound and must look exactly like it; a stored
# value failing to open is the server's failure, not the caller's bad ciphertext.
ERROR_TABLE: tuple[tuple[type[errors.StrongroomError], int, str], ...] = (
    (errors.StorageIntegrityError, 500, "InternalServerError"),
    (errors.LimitExceeded, 400, "LimitExceeded"),
    (errors.InvalidParameter, 400, "InvalidParameter"),
    (errors.DecryptionFailed, 400, "InvalidParameter"),
    (errors.NotAuthenticated, 401, "NotAuthenticated"),
    (errors.NotFound, 404, "NotAuthorizedOrNotFound"),
    (errors.IncorrectState, 409, "IncorrectState"),
    (errors.Conflict, 409, "Conflict"),
    (errors.PreconditionFailed, 412, "NoEtagMatch"),
    (errors.PayloadTooLarge, 413, "RequestEntityTooLarge"),
    (errors.ExternalKeyManagerUnavailable, 503, "ExternalKeyManagerUnavailable"),
    (errors.ExternalKeyManagerAuthenticationFailed, 502, "ExternalKeyManagerAuthenticationFailed"),
    (errors.ExternalKeyManagerError, 502, "ExternalKeyManagerError"),
    (errors.ServiceUnavailable, 503, "ServiceUnavailable"),
)


def status_and_code(error: errors.StrongroomError) -> tuple[int, str]:
    """HTTP status and OCI error code for a domain error."""
    for kind, status, code in ERROR_TABLE:
        if isinstance(error, kind):
            return status, code
    return 500, "InternalServerError"


def message_for(error: errors.StrongroomError) -> str:
    """The caller-facing message; authorization failures never say more than 'not found'."""
    if isinstance(error, errors.NotFound):
        return "The resource does not exist or you are not authorized to access it"
    return error.message
