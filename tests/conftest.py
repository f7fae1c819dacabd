"""Fixtures shared by every test directory."""

from __future__ import annotations

import pytest

from tests.clock import ManualClock


@pytest.fixture
def manual_clock() -> ManualClock:
    """A fresh clock for one test, frozen until the test advances it."""
    return ManualClock()
