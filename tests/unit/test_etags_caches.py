"""Entity tags and the TTL cache."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from strongroom.domain.errors import PreconditionFailed
from strongroom.services import caches
from strongroom.services.caches import TTLCache
from strongroom.services.etags import check_etag, etag_of
from strongroom.services.nonblocking import WouldBlock, forbid_blocking

ID = "ocid1.vault.oc1.r1..aaaa"


def test_etag_is_stable_and_depends_on_id_and_version() -> None:
    assert etag_of(ID, 1) == etag_of(ID, 1)
    assert len(etag_of(ID, 1)) == 32
    int(etag_of(ID, 1), 16)
    assert etag_of(ID, 1) != etag_of(ID, 2)
    assert etag_of(ID, 1) != etag_of(ID + "x", 1)
    # no ambiguity between id and version digits
    assert etag_of("a1", 1) != etag_of("a", 11)


@pytest.mark.parametrize("if_match", [None, "*"])
def test_absent_or_wildcard_if_match_passes(if_match: str | None) -> None:
    check_etag(ID, 7, if_match)


def test_current_etag_passes_quoted_or_not() -> None:
    etag = etag_of(ID, 3)
    check_etag(ID, 3, etag)
    check_etag(ID, 3, f'"{etag}"')


@pytest.mark.parametrize("if_match", ["", "nope", "**"])
def test_other_etags_fail(if_match: str) -> None:
    with pytest.raises(PreconditionFailed, match="has changed"):
        check_etag(ID, 3, if_match)


def test_stale_etag_fails() -> None:
    with pytest.raises(PreconditionFailed):
        check_etag(ID, 4, etag_of(ID, 3))


class FakeTime:
    """Stands in for the ``time`` module inside :mod:`strongroom.services.caches`."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(caches, "time", fake)
    return fake


def test_entries_expire_after_the_ttl(fake_time: FakeTime) -> None:
    cache: TTLCache[str] = TTLCache(ttl_seconds=2.0)
    cache.put("k", "v")
    assert cache.get("k") == "v"
    fake_time.now += 1.999
    assert cache.get("k") == "v"
    fake_time.now += 0.002
    assert cache.get("k") is None
    assert cache.get("k") is None


def test_put_refreshes_the_expiry(fake_time: FakeTime) -> None:
    cache: TTLCache[str] = TTLCache(ttl_seconds=2.0)
    cache.put("k", "v1")
    fake_time.now += 1.5
    cache.put("k", "v2")
    fake_time.now += 1.5
    assert cache.get("k") == "v2"


def test_missing_key() -> None:
    assert TTLCache[int](ttl_seconds=5).get("nope") is None


@pytest.mark.parametrize("ttl", [0, -1])
def test_non_positive_ttl_disables_caching(ttl: float) -> None:
    cache: TTLCache[str] = TTLCache(ttl_seconds=ttl)
    cache.put("k", "v")
    assert cache.get("k") is None


def test_discard_and_clear() -> None:
    cache: TTLCache[int] = TTLCache(ttl_seconds=60)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.discard("a")
    cache.discard("missing")
    assert cache.get("a") is None
    assert cache.get("b") == 2
    cache.clear()
    assert cache.get("b") is None


def test_oldest_entries_are_evicted_beyond_the_bound() -> None:
    cache: TTLCache[int] = TTLCache(ttl_seconds=60, max_entries=3)
    for i, key in enumerate("abcd"):
        cache.put(key, i)
    assert cache.get("a") is None
    assert [cache.get(k) for k in "bcd"] == [1, 2, 3]
    cache.put("b", 10)  # re-put moves b to the newest end
    cache.put("e", 4)
    assert cache.get("c") is None
    assert cache.get("b") == 10


def test_concurrent_use_is_safe() -> None:
    cache: TTLCache[int] = TTLCache(ttl_seconds=60, max_entries=50)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(2000):
                cache.put(f"{n}-{i % 100}", i)
                cache.get(f"{(n + 1) % 4}-{i % 100}")
                if i % 97 == 0:
                    cache.discard(f"{n}-{i % 100}")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache._items) <= 50


def test_refresh_ahead_sends_blocking_callers_to_reload(fake_time: FakeTime) -> None:
    cache: TTLCache[str] = TTLCache(ttl_seconds=2.0, refresh_after=1.0)
    cache.put("k", "v")
    fake_time.now += 0.999
    assert cache.get("k") == "v"
    fake_time.now += 0.002
    assert cache.get("k") is None  # may block: reload it
    assert cache.get("k") is None
    cache.put("k", "v2")
    assert cache.get("k") == "v2"


def test_refresh_ahead_sends_one_event_loop_caller_to_reload(fake_time: FakeTime) -> None:
    cache: TTLCache[str] = TTLCache(ttl_seconds=2.0, refresh_after=1.0)
    cache.put("k", "v")
    fake_time.now += 1.1
    with forbid_blocking():
        assert cache.get("k") is None  # this one goes to a thread to reload
        assert cache.get("k") == "v"  # the others keep the entry meanwhile
        assert cache.get("k") == "v"
        fake_time.now += 0.3  # the reload never came: send another caller
        assert cache.get("k") is None
        assert cache.get("k") == "v"
        fake_time.now += 0.6  # expired: missing for everyone, as without refresh_after
        assert cache.get("k") is None
        assert cache.get("k") is None


def test_refresh_ahead_reload_is_a_fresh_entry(fake_time: FakeTime) -> None:
    cache: TTLCache[str] = TTLCache(ttl_seconds=2.0, refresh_after=1.0)
    cache.put("k", "v")
    fake_time.now += 1.5
    with forbid_blocking():
        assert cache.get("k") is None
    cache.put("k", "v2")
    fake_time.now += 0.9
    with forbid_blocking():
        assert cache.get("k") == "v2"
        assert cache.get("k") == "v2"


class Deferred:
    """Stands in for the background refresher: keeps submitted reloads until :meth:`run`."""

    def __init__(self) -> None:
        self.pending: list[Callable[[], None]] = []

    def submit(self, work: Callable[[], None]) -> None:
        self.pending.append(work)

    def run(self) -> None:
        pending, self.pending = self.pending, []
        for work in pending:
            work()


@pytest.fixture
def refresher() -> Deferred:
    return Deferred()


class Loader:
    """Counts loads; returns the next value (or raises it, when it is an exception)."""

    def __init__(self, *values: object) -> None:
        self.values = list(values)
        self.loads = 0

    def __call__(self) -> str:
        self.loads += 1
        value = self.values.pop(0)
        if isinstance(value, Exception):
            raise value
        return str(value)


def test_fetch_loads_once_and_caches(fake_time: FakeTime, refresher: Deferred) -> None:
    cache: TTLCache[str] = TTLCache(ttl_seconds=2.0, refresh_after=1.0, refresher=refresher)
    load = Loader("v")
    assert cache.fetch("k", load) == "v"
    assert cache.fetch("k", load) == "v"
    assert load.loads == 1
    assert refresher.pending == []


def test_fetch_refreshes_in_the_background(fake_time: FakeTime, refresher: Deferred) -> None:
    cache: TTLCache[str] = TTLCache(ttl_seconds=2.0, refresh_after=1.0, refresher=refresher)
    load = Loader("v", "v2")
    cache.fetch("k", load)
    fake_time.now += 1.1
    with forbid_blocking():  # on the event loop: nobody waits for the reload
        assert [cache.fetch("k", load) for _ in range(3)] == ["v", "v", "v"]
    assert cache.fetch("k", load) == "v"  # a worker thread does not wait either
    assert len(refresher.pending) == 1 and load.loads == 1  # one reload, not yet run
    refresher.run()
    assert cache.fetch("k", load) == "v2"
    fake_time.now += 0.9  # the reloaded entry is fresh from its reload on
    assert cache.get("k") == "v2"
    assert refresher.pending == []


def test_a_queued_reload_is_not_sent_again(fake_time: FakeTime, refresher: Deferred) -> None:
    cache: TTLCache[str] = TTLCache(ttl_seconds=2.0, refresh_after=1.0, refresher=refresher)
    load = Loader("v", "v2")
    cache.fetch("k", load)
    fake_time.now += 1.1
    assert cache.fetch("k", load) == "v"
    fake_time.now += 0.5  # the refresher is behind: well past the claim window
    assert cache.fetch("k", load) == "v"
    assert len(refresher.pending) == 1  # not queued twice
    refresher.run()
    assert cache.fetch("k", load) == "v2"


def test_a_failed_or_empty_reload_drops_the_entry(fake_time: FakeTime, refresher: Deferred) -> None:
    cache: TTLCache[str] = TTLCache(ttl_seconds=2.0, refresh_after=1.0, refresher=refresher)
    for outcome in (PreconditionFailed("revoked"), ""):
        load = Loader("v", outcome)
        cache.fetch("k", load, cacheable=bool)
        fake_time.now += 1.1
        assert cache.fetch("k", load, cacheable=bool) == "v"
        refresher.run()
        assert cache.get("k") is None  # the next caller loads it, and sees why


def test_uncacheable_values_are_returned_not_stored(fake_time: FakeTime) -> None:
    cache: TTLCache[str] = TTLCache(ttl_seconds=2.0)
    load = Loader("", "")
    assert cache.fetch("k", load, cacheable=bool) == ""
    assert cache.fetch("k", load, cacheable=bool) == ""
    assert load.loads == 2


def test_a_reload_begun_before_clear_is_not_stored(
    fake_time: FakeTime, refresher: Deferred
) -> None:
    cache: TTLCache[str] = TTLCache(ttl_seconds=2.0, refresh_after=1.0, refresher=refresher)
    cache.fetch("k", Loader("v"))
    fake_time.now += 1.1
    started = threading.Event()

    def load() -> str:
        started.set()
        cache.clear()  # a write in this process, while the reload reads the old rows
        return "stale"

    cache.fetch("k", load)
    refresher.run()
    assert started.is_set()
    assert cache.get("k") is None


def test_fetch_on_a_miss_where_blocking_is_forbidden_would_block(fake_time: FakeTime) -> None:
    cache: TTLCache[str] = TTLCache(ttl_seconds=2.0)
    with forbid_blocking(), pytest.raises(WouldBlock):
        cache.fetch("k", Loader("v"))


def test_fetch_without_a_refresher_reloads_in_the_caller(fake_time: FakeTime) -> None:
    cache: TTLCache[str] = TTLCache(ttl_seconds=2.0, refresh_after=1.0)
    load = Loader("v", "v2")
    cache.fetch("k", load)
    fake_time.now += 1.1
    with forbid_blocking():
        with pytest.raises(WouldBlock):
            cache.fetch("k", load)  # one event-loop caller is sent to reload it
        assert cache.fetch("k", load) == "v"  # the others keep the entry meanwhile
    assert cache.fetch("k", load) == "v2"  # a caller that may block reloads it itself
    assert load.loads == 2


def test_the_cache_refresher_runs_reloads_until_closed() -> None:
    refresher = caches.CacheRefresher()
    done = threading.Event()
    refresher.submit(done.set)
    assert done.wait(5)
    refresher.close()
    refresher.submit(lambda: None)  # dropped, not an error
