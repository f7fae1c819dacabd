"""Nonces of the cryptographic actions, remembered in this process's memory until the request
could no longer be accepted (its timestamp out of the window): they change nothing, so a
replay that another process accepts does no harm, and they need no database round trip."""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import datetime

__all__ = ["NonceMemory"]


class NonceMemory:
    """(access key id, nonce) pairs seen, each until its expiry. Expired pairs are dropped as
    new ones come (oldest first: a pair's expiry is its request's timestamp plus a fixed
    window, so they expire in about the order they were seen)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._order: deque[tuple[float, tuple[str, str]]] = deque()
        self._lock = threading.Lock()

    def first(self, access_key_id: str, nonce: str, until: datetime) -> bool:
        """Remember the pair until ``until``: True the first time, False for a repeat."""
        now = time.time()
        name = (access_key_id, nonce)
        expires = until.timestamp()
        with self._lock:
            self._drop_expired(now)
            held = self._seen.get(name)
            if held is not None and held > now:
                return False
            self._seen[name] = expires
            self._order.append((expires, name))
        return True

    def forget(self, access_key_id: str, nonce: str) -> None:
        """Drop a pair remembered by a request that runs again elsewhere."""
        with self._lock:
            self._seen.pop((access_key_id, nonce), None)

    def _drop_expired(self, now: float) -> None:
        order, seen = self._order, self._seen
        while order and order[0][0] <= now:
            expires, name = order.popleft()
            if seen.get(name) == expires:
                del seen[name]
