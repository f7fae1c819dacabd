"""A small thread-safe TTL cache for hot-path lookups that other processes may invalidate."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from strongroom.services.nonblocking import require_may_block

V = TypeVar("V")
_LOAD_STRIPES = 64


class TTLCache(Generic[V]):
    """Entries live ``ttl_seconds``; writers in this process call :meth:`clear` for at-once effect.

    Other processes sharing the database see a change within the TTL. A reader that loads a
    value takes :meth:`generation` *before* loading and passes it to :meth:`put`, so a value
    loaded before a concurrent :meth:`clear` is not stored after it.
    """

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0
        self._load_locks = [threading.Lock() for _ in range(_LOAD_STRIPES)]

    def generation(self) -> int:
        """Changes on every :meth:`clear`."""
        return self._generation

    @contextmanager
    def loading(self, key: Hashable) -> Iterator[None]:
        """Hold while loading ``key`` after a miss, then :meth:`get` again before loading.

        When an entry expires under load, many threads miss it at once; this lets one of
        them load while the others wait for its result. Where blocking is forbidden
        (:mod:`strongroom.services.nonblocking`) it raises WouldBlock instead of waiting.
        """
        require_may_block()
        with self._load_locks[hash(key) % _LOAD_STRIPES]:
            yield

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._items[key]
                return None
            return entry[1]

    def put(self, key: Hashable, value: V, generation: int | None = None) -> None:
        """Store ``value``, unless the cache was cleared since ``generation`` was taken."""
        if self._ttl <= 0:
            return
        with self._lock:
            if generation is not None and generation != self._generation:
                return
            now = time.monotonic()
            self._items[key] = (now + self._ttl, value)
            self._items.move_to_end(key)
            # Entries are in put order, so expired ones are at the front: drop them here so
            # the cache holds what was used within the TTL rather than up to max_entries.
            while self._items and (
                len(self._items) > self._max or next(iter(self._items.values()))[0] < now
            ):
                self._items.popitem(last=False)

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._items.clear()
