"""Use-case fixtures: the services' ``Deps`` built by the real composition root, no HTTP.

``deps`` runs each test module on SQLite and on PostgreSQL (a fresh schema per module, made
by :mod:`tests.integration.storage_support`; the PostgreSQL parameter is skipped, with the
reason, when no server answers at 127.0.0.1:5432). The data directory, database and ``Deps``
are shared by the tests of one module: tests stay independent by creating their own vaults
and keys (see :mod:`tests.usecases.support`), and the clock only moves forward.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from strongroom.app import initialize, open_deps
from strongroom.config import Settings
from strongroom.domain.key import Key, KeyVersion
from strongroom.domain.vault import Vault
from strongroom.services.context import Call
from strongroom.services.identity.bootstrap import AdminIdentity
from strongroom.services.ports import Deps
from tests.clock import ManualClock
from tests.integration import storage_support
from tests.usecases import support

REGION = storage_support.REGION


@dataclass(frozen=True)
class Harness:
    """One initialized data directory opened through :func:`strongroom.app.open_deps`."""

    deps: Deps
    clock: ManualClock
    admin: AdminIdentity


@contextmanager
def _database_url(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database of ``kind``; its engine disposed, a PostgreSQL schema dropped,
    at the end. Skips the test when PostgreSQL is unreachable."""
    with contextmanager(storage_support.backend_engine)(kind, tmp_path_factory) as engine:
        yield engine.url.render_as_string(hide_password=False)


def close_deps(deps: Deps) -> None:
    """Stop the audit writer and the cache refresher, close EKM connections, and release the
    database connections (what the application's shutdown does, and the engine)."""
    try:
        if deps.audit is not None:
            deps.audit.close()
        if deps.refresher is not None:
            deps.refresher.close()
        if deps.ekm is not None:
            asyncio.run(deps.ekm.aclose())
    finally:
        deps.db.engine.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    """``strongroom init`` then ``open_deps`` over a temporary data directory, per module."""
    with _database_url(request.param, tmp_path_factory) as url:
        data_dir = tmp_path_factory.mktemp("usecases") / "data"
        admin = initialize(data_dir, REGION, url)
        clock = ManualClock()
        deps = open_deps(Settings(data_dir=data_dir, database_url=url), clock=clock)
        try:
            yield Harness(deps, clock, admin)
        finally:
            close_deps(deps)


@pytest.fixture
def deps(harness: Harness) -> Deps:
    """The services' dependencies (shared by the module's tests on one backend)."""
    return harness.deps


@pytest.fixture
def clock(harness: Harness) -> ManualClock:
    """The lifecycle clock inside ``deps``; it only moves forward, so work from ``now()``."""
    return harness.clock


@pytest.fixture
def admin(harness: Harness) -> AdminIdentity:
    """The tenancy and administrator ``initialize`` created."""
    return harness.admin


@pytest.fixture
def admin_call(deps: Deps, admin: AdminIdentity) -> Call:
    """A call by the administrator (member of Administrators: may manage everything)."""
    return support.admin_call(deps, admin)


@pytest.fixture
def new_vault(deps: Deps, admin_call: Call) -> Callable[..., Vault]:
    """Make an ACTIVE DEFAULT vault as the administrator: ``new_vault(compartment_id=, name=)``."""

    def make(compartment_id: str | None = None, name: str | None = None) -> Vault:
        return support.new_vault(deps, admin_call, compartment_id, name)

    return make


@pytest.fixture
def new_aes_key(deps: Deps, admin_call: Call) -> Callable[..., tuple[Key, KeyVersion]]:
    """Make a software AES-256 key as the administrator: ``new_aes_key(vault, name=)``."""

    def make(vault: Vault, name: str | None = None) -> tuple[Key, KeyVersion]:
        return support.new_aes_key(deps, admin_call, vault, name)

    return make
