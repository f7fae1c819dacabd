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


def test_expired_nonces_are_dropped() -> None:
    memory = NonceMemory()
    for i in range(100):
        assert memory.first("key-a", f"old-{i}", _later(-1))
    assert memory.first("key-a", "new", _later(60))
    assert len(memory._seen) == 1 and len(memory._order) == 1
