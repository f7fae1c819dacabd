"""Nonces of the cryptographic actions, remembered in this process's memory until the request
could no longer be accepted (its timestamp out of the window): they change nothing, so a
replay that another process accepts does no harm, and they need no database round trip."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

__all__ = ["NonceMemory"]

_PURGE_EVERY = 1024  # remembered nonces between purges of expired ones


class NonceMemory:
    """(access key id, nonce) pairs seen, each until its expiry."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._added = 0

    def first(self, access_key_id: str, nonce: str, until: datetime) -> bool:
        """Remember the pair until ``until``: True the first time, False for a repeat."""
        now = time.time()
        name = (access_key_id, nonce)
        with self._lock:
            expires = self._seen.get(name)
            if expires is not None and expires > now:
                return False
            self._seen[name] = until.astimezone(UTC).timestamp()
            self._added += 1
            if self._added % _PURGE_EVERY == 0:
                self._seen = {k: v for k, v in self._seen.items() if v > now}
        return True

    def forget(self, access_key_id: str, nonce: str) -> None:
        """Drop a pair remembered by a request that runs again elsewhere."""
        with self._lock:
            self._seen.pop((access_key_id, nonce), None)
