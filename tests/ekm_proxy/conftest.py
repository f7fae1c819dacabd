"""Fixtures for the EKM proxy tests: a local identity provider and real proxy subprocesses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ekm_support import EkmProxy, requires_softhsm, running_proxy
from tests.idp_support import LocalIdp

BACKENDS = [
    pytest.param("software", id="software"),
    pytest.param("softhsm", id="softhsm", marks=requires_softhsm),
]


@pytest.fixture(scope="session")
def idp() -> Iterator[LocalIdp]:
    with LocalIdp() as running:
        yield running


@pytest.fixture(scope="module", params=BACKENDS)
def proxy(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, idp: LocalIdp
) -> Iterator[EkmProxy]:
    """A running proxy (per back end) with one key, JWT settings from ``idp``, one credential."""
    directory = tmp_path_factory.mktemp(f"ekm-{request.param}")
    with running_proxy(directory, request.param, idp=idp, keys=1) as running:
        yield running


@pytest.fixture
def token(proxy: EkmProxy, idp: LocalIdp) -> str:
    return idp.token(proxy.vault_url)
