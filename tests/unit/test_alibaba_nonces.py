"""The in-memory nonce store of the Alibaba API's cryptographic actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from strongroom.api.alibaba.nonces import NonceMemory


def _later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_a_nonce_is_accepted_once_per_access_key() -> None:
    memory = NonceMemory()
    assert memory.first("key-a", "n1", _later(60))
    assert not memory.first("key-a", "n1", _later(60))
    assert memory.first("key-b", "n1", _later(60))


def test_a_forgotten_nonce_is_accepted_again() -> None:
    memory = NonceMemory()
    assert memory.first("key-a", "n1", _later(60))
    memory.forget("key-a", "n1")
    assert memory.first("key-a", "n1", _later(60))


def test_expired_nonces_are_swept_as_new_ones_come() -> None:
    memory = NonceMemory()
    for i in range(1500):
        assert memory.first("key-a", f"old-{i}", _later(-1))
    assert len(memory) < 1024  # swept once 1,024 were added
    for i in range(10):
        assert memory.first("key-a", f"new-{i}", _later(60))
    assert not memory.first("key-a", "new-3", _later(60))


def test_the_store_is_not_tracked_by_the_garbage_collector() -> None:
    import gc

    memory = NonceMemory()
    for i in range(100):
        memory.first("key-a", f"n{i}", _later(60))
    assert not gc.is_tracked(memory._seen)
