"""Running a use case on the event loop when it can finish without blocking.

A transport may call a use case under :func:`forbid_blocking`. Any storage access then
raises :class:`WouldBlock` before touching the database, and so does slow work that is not
storage (:func:`require_may_block`); the transport runs the same call again in a worker
thread. Only calls with no effect before their first possible WouldBlock may be run so
(Encrypt, Decrypt, GenerateDataEncryptionKey, GetSecretBundle and GetSecretBundleByName,
which only read).
"""

from __future__ import annotations

from strongroom.storage.unit_of_work import WouldBlock, blocking_forbidden, forbid_blocking

__all__ = ["WouldBlock", "blocking_forbidden", "forbid_blocking", "require_may_block"]


def require_may_block() -> None:
    """Raise WouldBlock when blocking is forbidden here (before slow or non-local work)."""
    if blocking_forbidden():
        raise WouldBlock()
