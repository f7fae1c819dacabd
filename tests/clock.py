"""A clock that moves only when a test says so (lifecycle timers without sleeping)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class ManualClock:
    """Implements the ``Clock`` port; starts at the real time and only moves on :meth:`advance`.

    Thread-safe: the server reads it from its worker threads while a test advances it.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime.now(UTC)).replace(microsecond=0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` (never backwards) and return the new time."""
        if delta < timedelta(0):
            raise ValueError("a ManualClock only moves forward")
        with self._lock:
            self._now += delta
            return self._now
