"""Fixtures of the EKM client unit tests: fake EKMs behind httpx.MockTransport."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
