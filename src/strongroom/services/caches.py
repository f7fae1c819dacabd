"""A small thread-safe TTL cache for hot-path lookups that other processes may invalidate."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Generic, Protocol, TypeVar

from strongroom.metrics import cache_counters
from strongroom.services.nonblocking import blocking_forbidden, require_may_block

__all__ = ["CacheRefresher", "Refresher", "TTLCache", "complete"]

V = TypeVar("V")
_LOAD_STRIPES = 64
log = logging.getLogger("strongroom.caches")


class Refresher(Protocol):
    """Where a :class:`TTLCache` sends its reloads ahead of expiry (see :meth:`TTLCache.fetch`)."""

    def submit(self, work: Callable[[], None]) -> object:
        """Run ``work`` later, off the caller's thread."""
        ...


class CacheRefresher:
    """Runs the caches' reloads ahead of expiry one at a time on a worker thread, off the
    event loop. Made by the application (:func:`strongroom.app.open_deps`) and closed when it
    stops; reloads submitted after :meth:`close` are dropped (the entry then expires as if
    no reload had been asked for)."""

    def __init__(self) -> None:
        # The worker thread starts on the first submit.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cache-refresh")

    def submit(self, work: Callable[[], None]) -> None:
        with suppress(RuntimeError):  # closed: dropped
            self._pool.submit(work)

    def close(self) -> None:
        """Drop queued reloads and wait for the running one."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Entry(Generic[V]):
    """A cached value and its times (mutable: the reload claim is set in place)."""

    __slots__ = ("claimed_at", "expires", "refresh_at", "value")

    def __init__(self, expires: float, refresh_at: float, value: V) -> None:
        self.expires = expires
        self.refresh_at = refresh_at
        self.value = value
        self.claimed_at = -1e300  # when a caller was last sent to reload it


class TTLCache(Generic[V]):
    """Entries live ``ttl_seconds``; writers in this process call :meth:`clear` for at-once effect.

    Other processes sharing the database see a change within the TTL. A reader that loads a
    value takes :meth:`generation` *before* loading and passes it to :meth:`put`, so a value
    loaded before a concurrent :meth:`clear` is not stored after it.

    With ``refresh_after`` (less than the TTL), an entry is reloaded *before* it expires, so
    that a busy event loop does not find it missing in all its requests at once (each of
    which would go to the thread pool to load it). :meth:`fetch` reloads it in the
    background: from ``refresh_after`` on, one caller starts a reload on a worker thread and
    every caller keeps the entry meanwhile, so no request waits for it; a reload that fails
    or finds nothing cacheable drops the entry (the next caller loads it, and sees why). Plain
    :meth:`get` instead says "missing" to callers that may block, which then reload it; where
    blocking is forbidden (:mod:`strongroom.services.nonblocking`), it says so to one caller
    only, and the others keep the entry until it expires. :meth:`fetch` on a cache made
    without a ``refresher`` does the same as :meth:`get`, then loads the value itself.

    A cache with a ``name`` counts its hits and misses in the metrics
    (``strongroom_cache_hits_total{cache=name}``): each :meth:`get`, and each :meth:`fetch`
    once, whether or not it then waits for another caller's load.
    """

    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int = 10_000,
        refresh_after: float | None = None,
        refresher: Refresher | None = None,
        name: str | None = None,
    ) -> None:
        self._hit, self._miss = cache_counters(name) if name else (_uncounted, _uncounted)
        self._ttl = ttl_seconds
        self._refresher = refresher
        self._refresh_after = ttl_seconds if refresh_after is None else refresh_after
        # After this long without a reload, another caller on the event loop is sent to do it.
        self._claim_window = max(0.0, ttl_seconds - self._refresh_after) / 4
        self._max = max_entries
        self._items: OrderedDict[Hashable, _Entry[V]] = OrderedDict()
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
        """The live value of ``key``, or None (see the class for entries due for a reload)."""
        value = self._get(key, None)
        (self._miss if value is None else self._hit)()
        return value

    def fetch(
        self,
        key: Hashable,
        load: Callable[[], V],
        cacheable: Callable[[V], bool] = lambda value: True,
    ) -> V:
        """The cached value of ``key``, else ``load()`` (stored when ``cacheable``), one
        loader per key at a time; due for a reload, reloaded in the background (by the
        ``refresher``; without one, as :meth:`get` says)."""
        refresh = None if self._refresher is None else lambda: self._refresh(key, load, cacheable)
        value = self._get(key, refresh)
        if value is not None:
            self._hit()
            return value
        self._miss()
        with self.loading(key):
            value = self._get(key, None)
            if value is not None:
                return value
            return self._load(key, load, cacheable)

    def _load(self, key: Hashable, load: Callable[[], V], cacheable: Callable[[V], bool]) -> V:
        """``load()``, stored when ``cacheable`` (else any entry is dropped), unless the cache
        was cleared while it loaded."""
        generation = self.generation()
        value = load()
        if cacheable(value):
            self.put(key, value, generation)
        else:
            self.discard(key)
        return value

    def _get(self, key: Hashable, refresh: Callable[[], None] | None) -> V | None:
        # No lock for the common case: a dict lookup is atomic, and entries are only replaced.
        entry = self._items.get(key)
        if entry is None:
            return None
        now = time.monotonic()
        if now < entry.refresh_at:
            return entry.value
        if now >= entry.expires:
            with self._lock:
                if self._items.get(key) is entry:
                    del self._items[key]
            return None
        if refresh is None and not blocking_forbidden():
            return None  # due for a reload, and this caller can do it
        refresher = self._refresher
        background = refresh is not None and refresher is not None
        with self._lock:
            value = entry.value
            if now - entry.claimed_at < self._claim_window:
                return value  # another caller was sent to reload it just now
            # A reload queued on the refresher stays claimed until it replaces (or drops) the
            # entry: a refresher running behind is not sent the same reload again, which
            # would only lengthen its queue until entries expire unrefreshed.
            entry.claimed_at = math.inf if background else now
        if not background:
            return None
        assert refresh is not None and refresher is not None
        refresher.submit(refresh)
        return value

    def _refresh(
        self, key: Hashable, load: Callable[[], V], cacheable: Callable[[V], bool]
    ) -> None:
        try:
            self._load(key, load, cacheable)
        except Exception as error:
            log.debug("reloading a cache entry failed (%s); dropped", type(error).__name__)
            self.discard(key)

    def put(self, key: Hashable, value: V, generation: int | None = None) -> None:
        """Store ``value``, unless the cache was cleared since ``generation`` was taken."""
        if self._ttl <= 0:
            return
        with self._lock:
            if generation is not None and generation != self._generation:
                return
            now = time.monotonic()
            self._items[key] = _Entry(now + self._ttl, now + self._refresh_after, value)
            self._items.move_to_end(key)
            # Entries are in put order, so expired ones are at the front: drop them here so
            # the cache holds what was used within the TTL rather than up to max_entries.
            while self._items and (
                len(self._items) > self._max or next(iter(self._items.values())).expires < now
            ):
                self._items.popitem(last=False)

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._items.clear()


def _uncounted() -> None:
    """The hit and miss counter of a cache without a name."""


def complete(rows: tuple[object, ...]) -> bool:
    """Every row was found (``cacheable`` for :meth:`TTLCache.fetch` of looked-up rows)."""
    return all(row is not None for row in rows)
