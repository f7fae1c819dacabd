"""The one table mapping domain errors to Alibaba KMS errors ``{Code, Message, RequestId}``.

Alibaba answers a key in the wrong state with 409 and a code naming the state
(``Rejected.Disabled``, ``Rejected.PendingDeletion``); the code is chosen from the state the
use case's check found (``IncorrectState.state``). Authorization failures look exactly like a
missing resource, as in the OCI API (a caller learns nothing of keys it may not use).

The external key manager (an XKI instance's proxy) has a code for each way it fails a key:
cannot be reached (503 ``Rejected.ExternalKeyStoreUnavailable``, the message saying so),
refuses the instance (409 ``Rejected.ExternalKeyStoreBlocked``), refuses Strongroom's
credentials (502 ``Rejected.ExternalKeyStoreAuthenticationFailed``), answers unusably (502
``Rejected.ExternalKeyStoreError``); the external key is disabled there (409
``Rejected.ExternalKeyDisabled``) or missing (404 ``Forbidden.ExternalKeyNotFound``).
"""

from __future__ import annotations

from strongroom.domain import errors
from strongroom.domain.key_alias import AliasAlreadyExists, AliasNotFound

__all__ = [
    "AlibabaError",
    "InvalidParameter",
    "MissingParameter",
    "UnsupportedOperation",
    "answer_for",
]


class AlibabaError(Exception):
    """An error already in Alibaba's terms (the dialect's own checks)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class MissingParameter(AlibabaError):
    """A required parameter is absent."""

    def __init__(self, name: str) -> None:
        super().__init__(400, "MissingParameter", f"The parameter {name} is required.")


class InvalidParameter(AlibabaError):
    """A parameter is present but malformed or out of range."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(400, "InvalidParameter", f"The parameter {name} is invalid: {why}")


class UnsupportedOperation(AlibabaError):
    """What this service does not do, and why."""

    def __init__(self, message: str) -> None:
        super().__init__(400, "Rejected.UnsupportedOperation", message)


NOT_FOUND_MESSAGE = "The specified key is not found or you are not authorized to use it."

# Most specific first (LimitExceeded is an InvalidParameter; StorageIntegrityError a
# DecryptionFailed, and the server's failure).
_TABLE: tuple[tuple[type[errors.StrongroomError], int, str], ...] = (
    (AliasNotFound, 404, "Forbidden.AliasNotFound"),
    (AliasAlreadyExists, 400, "AliasAlreadyExists"),
    (errors.DeletionProtected, 409, "Rejected.DeletionProtection"),
    (errors.ExternalKeyNotFound, 404, "Forbidden.ExternalKeyNotFound"),
    (errors.ExternalKeyDisabled, 409, "Rejected.ExternalKeyDisabled"),
    (errors.ExternalVaultBlocked, 409, "Rejected.ExternalKeyStoreBlocked"),
    (errors.KeyInUse, 409, "Rejected.KeyInUse"),
    (errors.StorageIntegrityError, 500, "InternalFailure"),
    (errors.LimitExceeded, 400, "Rejected.LimitExceeded"),
    (errors.InvalidParameter, 400, "InvalidParameter"),
    (errors.DecryptionFailed, 400, "InvalidCiphertext"),
    (errors.NotAuthenticated, 401, "Forbidden.NoPermission"),
    (errors.NotFound, 404, "Forbidden.KeyNotFound"),
    (errors.IncorrectState, 409, "Rejected.StateModifiedFailed"),
    (errors.Conflict, 409, "Rejected.Conflict"),
    (errors.PreconditionFailed, 409, "Rejected.Conflict"),
    (errors.PayloadTooLarge, 400, "InvalidParameter"),
    (errors.ExternalKeyManagerUnavailable, 503, "Rejected.ExternalKeyStoreUnavailable"),
    (
        errors.ExternalKeyManagerAuthenticationFailed,
        502,
        "Rejected.ExternalKeyStoreAuthenticationFailed",
    ),
    (errors.ExternalKeyManagerError, 502, "Rejected.ExternalKeyStoreError"),
    (errors.ServiceUnavailable, 503, "ServiceUnavailable"),
)

# The state a refused resource was in (IncorrectState.state), as Alibaba's codes.
_STATES = {"PENDING_DELETION": "Rejected.PendingDeletion", "DISABLED": "Rejected.Disabled"}
# Errors whose code and message stand whatever the action.
_OWN = (
    AliasNotFound,
    errors.DeletionProtected,
    errors.ExternalKeyNotFound,
    errors.ExternalKeyDisabled,
    errors.ExternalVaultBlocked,
)
_UNREACHABLE = "The external key manager (the XKI proxy) cannot be reached"


def answer_for(
    error: errors.StrongroomError,
    not_found_code: str | None = None,
    state_code: str | None = None,
) -> AlibabaError:
    """``error`` in Alibaba's terms (``not_found_code``, ``state_code``: the action's own,
    such as ``Forbidden.AliasNotFound``)."""
    found = next(((s, c) for kind, s, c in _TABLE if isinstance(error, kind)), None)
    if found is None:
        return AlibabaError(500, "InternalFailure", "The request failed.")
    status, code = found
    message = error.message
    if isinstance(error, _OWN):
        pass  # its own code and message, whatever the action
    elif isinstance(error, errors.NotFound):
        code = not_found_code or code
        message = NOT_FOUND_MESSAGE if code == "Forbidden.KeyNotFound" else error.message
    elif isinstance(error, errors.IncorrectState):
        code = state_code or _STATES.get(error.state or "", code)
    elif isinstance(error, errors.ExternalKeyManagerUnavailable):
        message = f"{_UNREACHABLE}: {error.message}"
    elif isinstance(error, errors.StorageIntegrityError):
        message = "The request failed."
    return AlibabaError(status, code, message)
