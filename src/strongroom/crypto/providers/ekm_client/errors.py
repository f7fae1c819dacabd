"""Errors of the EKM client. Every message is safe to show a user: it never holds a token,
a secret, plaintext or key material, only what failed and where."""

from __future__ import annotations


class EkmError(Exception):
    """Base of every EKM client error; ``message`` is safe to show to users."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EkmUnavailable(EkmError):
    """The EKM could not serve the call: timeout, refused or reset connection, TLS failure,
    HTTP 5xx or throttling, or its circuit breaker is open. The message says which."""


class EkmTlsError(EkmUnavailable):
    """The TLS handshake with the EKM failed, typically because its certificate is not trusted."""


class EkmAuthenticationFailed(EkmError):
    """The identity provider refused the client credentials, or the EKM answered 401/403."""


class EkmKeyNotFound(EkmError):
    """The EKM does not know the external key (or the EKM vault) asked for."""


class EkmKeyDisabled(EkmError):
    """The external key, or the key version asked for, is disabled (BLOCKED) in the EKM."""


class EkmVaultBlocked(EkmError):
    """The EKM refuses every operation on the vault: its administrator has blocked it."""


class EkmInvalidCiphertext(EkmError):
    """The EKM refused to decrypt: the ciphertext or its associated data does not verify."""


class EkmBadResponse(EkmError):
    """The EKM's answer is unusable: malformed JSON, missing or mistyped fields, bad base64,
    a ciphertext for another key or version, an unsupported key spec, or a rejected request."""
