"""Audit inserts come in a few fixed chunk sizes, so their statements are prepared once."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from strongroom.storage.iam_repository import _AUDIT_CHUNK, _chunk_sizes


@given(st.integers(min_value=0, max_value=20 * _AUDIT_CHUNK))
def test_chunks_cover_the_batch_in_few_distinct_sizes(total: int) -> None:
    sizes = list(_chunk_sizes(total))
    assert sum(sizes) == total
    assert all(0 < s <= _AUDIT_CHUNK for s in sizes)
    assert all(s & (s - 1) == 0 for s in sizes)  # powers of two: ten statements at most


def test_the_chunks_of_every_batch_size_use_ten_statements_in_all() -> None:
    seen = {s for total in range(3 * _AUDIT_CHUNK) for s in _chunk_sizes(total)}
    assert len(seen) <= 10
