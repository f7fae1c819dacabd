"""Nonces of the cryptographic actions, remembered in this process's memory until the request
could no longer be accepted (its timestamp out of the window): they change nothing, so a
replay that another process accepts does no harm, and they need no database round trip."""

from __future__ import annotations

import threading
import time
from datetime import datetime

__all__ = ["NonceMemory"]


class NonceMemory:
    """(access key id, nonce) pairs seen, each until its expiry.

    Held as one dict of strings to floats: the garbage collector does not track such a dict,
    so a window of a hundred thousand nonces costs its collections nothing. Expired pairs are
    swept once as many pairs were added since the last sweep as the sweep kept: a constant
    amount of work per request, however many are held.
    """

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._added = 0
        self._next_sweep = 1024

    def first(self, access_key_id: str, nonce: str, until: datetime) -> bool:
        """Remember the pair until ``until``: True the first time, False for a repeat."""
        now = time.time()
        name = f"{access_key_id}\n{nonce}"
        with self._lock:
            held = self._seen.get(name)
            if held is not None and held > now:
                return False
            self._seen[name] = until.timestamp()
            self._added += 1
            if self._added >= self._next_sweep:
                self._sweep(now)
        return True

    def forget(self, access_key_id: str, nonce: str) -> None:
        """Drop a pair remembered by a request that runs again elsewhere."""
        with self._lock:
            self._seen.pop(f"{access_key_id}\n{nonce}", None)

    def __len__(self) -> int:
        return len(self._seen)

    def _sweep(self, now: float) -> None:
        self._seen = {k: v for k, v in self._seen.items() if v > now}
        self._added = 0
        self._next_sweep = max(1024, len(self._seen))
