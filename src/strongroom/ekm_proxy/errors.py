"""Errors of the reference EKM proxy; each API maps them once to its own wire format.

Messages are safe to return to a caller: they never contain key material, tokens, PINs or
secrets.
"""

from __future__ import annotations


class EkmError(Exception):
    """Base of every error the proxy reports to a caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(EkmError):
    """The request is malformed: bad JSON, a missing field, a wrong type or bad base64."""


class Unauthenticated(EkmError):
    """The caller's bearer token or SigV4 signature is missing, invalid or stale."""


class VaultNotFound(EkmError):
    """The EKMS vault id in the path is not this proxy's vault."""


class KeyNotFound(EkmError):
    """The key (or key version) id is unknown to this proxy."""


class KeyDisabled(EkmError):
    """The key, or the key version asked for, is disabled."""


class KeyUsageNotAllowed(EkmError):
    """The key's usage (``keys create --usage``) does not include the operation asked for."""

    def __init__(self, key_id: str, operation: str) -> None:
        super().__init__(f"Key {key_id} may not be used to {operation}")


class VaultBlocked(EkmError):
    """The proxy's administrator has blocked it: every key operation is refused."""

    def __init__(self) -> None:
        super().__init__("The EKM administrator has blocked this vault; key operations are refused")


class InvalidCiphertext(EkmError):
    """Decryption failed; deliberately says nothing about why."""

    def __init__(self, message: str = "The ciphertext or its associated data is invalid") -> None:
        super().__init__(message)


class BackendUnavailable(EkmError):
    """The key back end (HSM token, keystore) cannot be used right now."""


class ConfigurationError(EkmError):
    """The data directory or a setting is missing or inconsistent (reported by the CLI)."""
