"""Things that must be seen only once (a signed write's signature; later Alibaba's
SignatureNonce): one store in the database, so every process sharing it refuses a repeat.

Dialect-free: the caller names what was seen (a digest) and until when a repeat could still be
accepted; after that the row is useless and purged now and then (not on every request).
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime

from strongroom.services.ports import Deps
from strongroom.storage import seen_requests

__all__ = ["PURGE_INTERVAL", "digest_of", "remember_once"]

# Seconds between purges of expired rows, in each process.
PURGE_INTERVAL = 60.0

_purge_lock = threading.Lock()
_next_purge = 0.0


def digest_of(*parts: bytes) -> str:
    """The SHA-256 hex digest naming ``parts`` (length-prefixed, so no two splits collide)."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(len(part).to_bytes(4, "big"))
        hasher.update(part)
    return hasher.hexdigest()


def remember_once(deps: Deps, digest: str, expires_at: datetime) -> bool:
    """Record ``digest`` until ``expires_at``: True the first time, False for a repeat (in this
    process or any other on the same database). One INSERT in its own short transaction."""
    first = seen_requests.insert_once(deps.db, digest, expires_at)
    if first:
        _purge_when_due(deps)
    return first


def _purge_when_due(deps: Deps) -> None:
    global _next_purge
    now = time.monotonic()
    with _purge_lock:
        if now < _next_purge:
            return
        _next_purge = now + PURGE_INTERVAL
    seen_requests.purge_expired(deps.db, deps.wall_clock.now())
