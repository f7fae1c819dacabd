"""Running a use case on the event loop when it can finish without blocking.

A transport may call a use case under :func:`forbid_blocking`. Any storage access then
raises :class:`WouldBlock` before touching the database, and so does slow work that is not
storage (:func:`require_may_block`); the transport then runs the same call again, from the
start, in a worker thread.

The inline rule: a call run so must have no effect before its first possible WouldBlock,
since all it did before is done again by the rerun. Nothing is written while blocking is
forbidden: not to storage, not to the outside world, and not to shared state unless doing it
twice is harmless (a cache filled with what was read). Only the inline routes
(``ApiRoute(..., inline=True)``: Encrypt, Decrypt, GenerateDataEncryptionKey, GetSecretBundle
and GetSecretBundleByName, which only read) are run so; ``tests/integration/test_inline_rule.py``
drives each of them, cold and warm, and fails on a write made while blocking is forbidden.
"""

from __future__ import annotations

from strongroom.storage.unit_of_work import WouldBlock, blocking_forbidden, forbid_blocking

__all__ = ["WouldBlock", "blocking_forbidden", "forbid_blocking", "require_may_block"]


def require_may_block() -> None:
    """Raise WouldBlock when blocking is forbidden here (before slow or non-local work)."""
    if blocking_forbidden():
        raise WouldBlock()
