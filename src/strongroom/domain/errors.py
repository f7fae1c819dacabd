"""Typed domain errors. Each edge (HTTP, JSON-RPC, CLI) maps them to its own format once."""

from __future__ import annotations

__all__ = [
    "Conflict",
    "DecryptionFailed",
    "DeletionProtected",
    "ExternalKeyDisabled",
    "ExternalKeyManagerAuthenticationFailed",
    "ExternalKeyManagerError",
    "ExternalKeyManagerUnavailable",
    "ExternalKeyNotFound",
    "ExternalKeyPlacement",
    "ExternalVaultBlocked",
    "IncorrectState",
    "InvalidParameter",
    "KeyInUse",
    "LimitExceeded",
    "LostExternalKey",
    "NotAuthenticated",
    "NotAuthorized",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "ServiceUnavailable",
    "StorageIntegrityError",
    "StrongroomError",
    "UnknownExternalKey",
    "WriteElsewhere",
]


class StrongroomError(Exception):
    """Base of every error Strongroom reports to a caller; the message is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidParameter(StrongroomError):
    """The request is malformed or a value is out of range."""


class LimitExceeded(InvalidParameter):
    """A service limit would be exceeded (OCI's 400 LimitExceeded)."""


class NotAuthenticated(StrongroomError):
    """The caller could not be identified (missing, bad, stale or replayed signature)."""


class NotFound(StrongroomError):
    """The resource does not exist, or the caller may not know that it does."""


class NotAuthorized(NotFound):
    """The caller is not allowed; indistinguishable from NotFound at the edge."""


class Conflict(StrongroomError):
    """The request conflicts with existing state (duplicate name, reused retry token)."""


class IncorrectState(StrongroomError):
    """The resource's lifecycle state does not allow the operation; ``state`` names that
    state when the check knew it (a dialect may answer by it: Alibaba's Rejected.Disabled)."""

    def __init__(self, message: str, state: str | None = None) -> None:
        super().__init__(message)
        self.state = state


class DeletionProtected(IncorrectState):
    """The key has deletion protection on: scheduling its deletion waits until it is off."""


class KeyInUse(Conflict):
    """Live secrets depend on the key whose deletion was asked without force (a dialect's
    force option): ``key_id`` and how many ``secrets``."""

    def __init__(self, key_id: str, secrets: int) -> None:
        noun = "secret depends" if secrets == 1 else "secrets depend"
        super().__init__(
            f"{secrets} live {noun} on key {key_id} (see the key's associations); schedule "
            "the deletion with force to delete the key anyway"
        )
        self.key_id = key_id
        self.secrets = secrets


class PreconditionFailed(StrongroomError):
    """An if-match etag did not match the resource's current etag."""


class PayloadTooLarge(StrongroomError):
    """The request body exceeds what the endpoint accepts."""


class DecryptionFailed(StrongroomError):
    """A ciphertext failed authentication; deliberately says nothing about why."""

    def __init__(self) -> None:
        super().__init__("The ciphertext or its associated data is invalid")


class StorageIntegrityError(DecryptionFailed):
    """A value Strongroom sealed for storage failed to open: the stored row was tampered with
    (a sealed value moved to another row, altered, or sealed by another deployment's keyring).

    A server-side failure (500 InternalServerError), not the caller's: a stored value failing
    to decrypt, where the base :class:`DecryptionFailed` is a *caller's* ciphertext (400); error
    tables list it first. ``table`` and ``row`` name where the value is stored, for the
    operator's log; the message says nothing about it, and nothing here holds the value.
    """

    def __init__(self, identity: str) -> None:
        StrongroomError.__init__(self, "Internal error")
        self.table, _, self.row = identity.partition("/")


class WriteElsewhere(StrongroomError):
    """The write belongs to another region (a replica whose source forwards writes): the
    transport forwards it there. Never reaches a caller as an error."""

    def __init__(self, region: str, resource: tuple[str, str, str, str]) -> None:
        super().__init__(f"The write is forwarded to region {region}")
        self.region = region
        self.resource = resource  # tenancy, compartment, id and type of what is written


class ServiceUnavailable(StrongroomError):
    """A dependency (HSM, EKM, key server) cannot be reached right now."""


class ExternalKeyManagerUnavailable(ServiceUnavailable):
    """An EXTERNAL vault's EKM cannot be reached now (timeout, refused, TLS, 5xx, breaker open)."""


class ExternalKeyManagerError(StrongroomError):
    """An EXTERNAL vault's EKM answered, but not usefully (malformed or inconsistent answer)."""


class ExternalKeyManagerAuthenticationFailed(ExternalKeyManagerError):
    """The EKM (or its identity provider) refused Strongroom's credentials."""


class ExternalKeyPlacement(InvalidParameter):
    """A key that does not fit its vault: EXTERNAL keys live only in EXTERNAL vaults, which
    hold nothing else. ``external_vault`` says which side was broken (a dialect words it in
    its own terms: the Alibaba API's XKI instance and ``ExternalKeyId``)."""

    def __init__(self, message: str, *, external_vault: bool) -> None:
        super().__init__(message)
        self.external_vault = external_vault


class ExternalVaultBlocked(IncorrectState):
    """The EKM refuses every operation on the EXTERNAL vault: its administrator blocked it."""


class ExternalKeyDisabled(IncorrectState):
    """The external key a key references (or the version asked for) is disabled in the EKM."""


class ExternalKeyNotFound(StrongroomError):
    """The EKM does not hold the external key named: one of the two kinds below, which the
    OCI API answers differently (a bad parameter at creation, a key state afterwards)."""


class UnknownExternalKey(InvalidParameter, ExternalKeyNotFound):
    """CreateKey (or CreateKeyVersion) names an external key the vault's EKM does not hold."""


class LostExternalKey(IncorrectState, ExternalKeyNotFound):
    """The EKM no longer holds the external key an existing key references."""
