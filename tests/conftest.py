"""Fixtures shared by every test directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import distinct_writes
from tests.clock import ManualClock


@pytest.fixture(scope="session", autouse=True)
def _distinct_identical_writes() -> Iterator[None]:
    """Identical SDK writes in one second get distinct dates (see tests/distinct_writes.py)."""
    yield from distinct_writes.install()


@pytest.fixture
def manual_clock() -> ManualClock:
    """A fresh clock for one test, frozen until the test advances it."""
    return ManualClock()
