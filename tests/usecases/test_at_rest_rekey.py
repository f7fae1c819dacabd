"""The master key's rekey and unsealing, through the services, against a real PyKMIP server
(SQLite and PostgreSQL): every direction, roll-back, crash recovery, sealed start-up."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from strongroom.app import open_deps
from strongroom.barrier.master_key import InternalMasterKey
from strongroom.config import Settings
from strongroom.domain.at_rest import (
    AsyncResult,
    KeyServer,
    KmipFailure,
    ManagementType,
    MasterKeyState,
    RekeyInProgress,
)
from strongroom.domain.errors import IncorrectState, InvalidParameter, NotFound
from strongroom.services.at_rest import recovery, rekey_steps
from strongroom.services.at_rest.async_results import GetAsyncResultRequest, get_async_result
from strongroom.services.at_rest.master_key_info import (
    GetSoftwareEncryptionAtRestInfoRequest,
    software_encryption_info,
)
from strongroom.services.at_rest.presence import PRESENCE_PREFIX
from strongroom.services.at_rest.rekey import RekeyMasterKeyRequest, rekey_master_key
from strongroom.services.at_rest.unseal import try_unseal
from strongroom.services.context import Call
from strongroom.services.ports import Deps
from tests.kmip_server import KmipTestServer
from tests.usecases.conftest import close_deps

pytest_plugins = ["tests.integration.kmip_fixtures"]

EXTERNAL = ManagementType.EXTERNAL
INTERNAL = ManagementType.INTERNAL


def _provider(deps: Deps, server: KmipTestServer, name: str = "kmip") -> int:
    """A provider with one key server: ``server``, with Strongroom's signed client cert."""
    assert deps.kmip_identity is not None
    certificate = server.sign_csr(deps.kmip_identity.certificate_sign_request())
    now = deps.clock.now()
    with deps.db.transaction() as tx:
        provider = tx.at_rest.add_provider(name, now)
        record = dataclasses.replace(server.key_server(certificate), provider_id=provider.id)
        tx.at_rest.add_server(record)
    return provider.id


def _wait(deps: Deps, call: Call, handle: int) -> AsyncResult:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        result = get_async_result(deps, call, GetAsyncResultRequest(handle, keep_result=True))
        if result.status == "complete":
            return result
        time.sleep(0.05)
    raise AssertionError(f"rekey {handle} did not complete")


def _rekey(
    deps: Deps, call: Call, kind: ManagementType | None, provider: int | None
) -> AsyncResult:
    result = _wait(deps, call, rekey_master_key(deps, call, RekeyMasterKeyRequest(kind, provider)))
    assert result.error is None, result.error
    return result


@contextmanager
def _reopened(deps: Deps) -> Iterator[Deps]:
    """A second process's view: the same data directory and database, opened afresh."""
    assert deps.data_dir is not None
    url = deps.db.engine.url.render_as_string(hide_password=False)
    other = open_deps(Settings(data_dir=deps.data_dir, database_url=url))
    try:
        yield other
    finally:
        close_deps(other)


def _kmip_key_gone(deps: Deps, server: KeyServer, uid: str) -> bool:
    assert deps.kmip is not None
    try:
        with deps.kmip.session(server) as session:
            session.get_key(uid)
    except KmipFailure as failure:
        return "ITEM_NOT_FOUND" in failure.message
    return False


@pytest.fixture
def restore_internal(deps: Deps, admin_call: Call) -> Iterator[None]:
    """Leave the module's master key internal again (the tests share one data directory)."""
    yield
    if (
        software_encryption_info(
            deps, admin_call, GetSoftwareEncryptionAtRestInfoRequest()
        ).management_type
        is EXTERNAL
    ):
        _rekey(deps, admin_call, INTERNAL, None)


@pytest.mark.usefixtures("restore_internal")
def test_rekey_every_direction_keeps_every_value_open(
    deps: Deps, admin_call: Call, kmip_server_factory: Callable[..., KmipTestServer]
) -> None:
    first, second = kmip_server_factory(), kmip_server_factory()
    p1, p2 = _provider(deps, first, "first"), _provider(deps, second, "second")
    sealed = deps.barrier.seal(b"value before every rekey", "rows/1")
    assert deps.data_dir is not None
    start = software_encryption_info(deps, admin_call, GetSoftwareEncryptionAtRestInfoRequest())
    assert start.management_type is INTERNAL

    to_external = _rekey(deps, admin_call, EXTERNAL, p1)
    assert to_external.result is not None
    assert to_external.result["key_to_decommission"]["key_id"] == start.key_id  # type: ignore[index]
    assert not (deps.data_dir / InternalMasterKey.FILENAME).exists()  # the old key is gone
    info = software_encryption_info(deps, admin_call, GetSoftwareEncryptionAtRestInfoRequest())
    assert (info.management_type, info.provider_id) == (EXTERNAL, p1)
    with deps.db.transaction(read_only=True) as tx:
        first_key = tx.at_rest.master_key(info.key_id)
    assert first_key is not None and first_key.kmip_uid is not None
    with _reopened(deps) as restarted:  # the material is fetched from the KMIP server
        assert not restarted.barrier.sealed
        assert restarted.barrier.open(sealed, "rows/1") == b"value before every rekey"

    _rekey(deps, admin_call, EXTERNAL, p2)  # external -> another provider
    with deps.db.transaction(read_only=True) as tx:
        old = tx.at_rest.master_key(first_key.key_id)
        server = tx.at_rest.servers(p1)[0]
    assert old is not None and old.state is MasterKeyState.DESTROYED
    assert _kmip_key_gone(deps, server, first_key.kmip_uid)

    _rekey(deps, admin_call, None, None)  # keeps the kind and the provider
    assert (
        software_encryption_info(
            deps, admin_call, GetSoftwareEncryptionAtRestInfoRequest()
        ).provider_id
        == p2
    )

    _rekey(deps, admin_call, INTERNAL, None)
    assert (deps.data_dir / InternalMasterKey.FILENAME).exists()
    _rekey(deps, admin_call, INTERNAL, None)  # internal -> internal: a new file
    with _reopened(deps) as restarted:
        assert restarted.barrier.open(sealed, "rows/1") == b"value before every rekey"
    assert deps.barrier.open(sealed, "rows/1") == b"value before every rekey"


def test_rekey_refusals(
    deps: Deps, admin_call: Call, kmip_server_factory: Callable[..., KmipTestServer]
) -> None:
    with pytest.raises(NotFound):
        rekey_master_key(deps, admin_call, RekeyMasterKeyRequest(EXTERNAL, 9999))
    with pytest.raises(InvalidParameter, match="keyProviderID is required"):
        rekey_master_key(deps, admin_call, RekeyMasterKeyRequest(EXTERNAL, None))
    with pytest.raises(InvalidParameter, match="only with keyManagementType external"):
        rekey_master_key(deps, admin_call, RekeyMasterKeyRequest(INTERNAL, 1))
    with deps.db.transaction() as tx:
        empty = tx.at_rest.add_provider("no server", deps.clock.now())
    with pytest.raises(IncorrectState, match="has no key server"):
        rekey_master_key(deps, admin_call, RekeyMasterKeyRequest(EXTERNAL, empty.id))
    dead = kmip_server_factory()
    provider = _provider(deps, dead, "dead")
    dead.kill()
    with pytest.raises(KmipFailure, match=f"Key provider {provider} failed its test"):
        rekey_master_key(deps, admin_call, RekeyMasterKeyRequest(EXTERNAL, provider))


def test_internal_refused_while_other_processes_share_the_database(
    deps: Deps, admin_call: Call
) -> None:
    now = deps.wall_clock.now()
    holder = "elsewhere:1:abcd"
    with deps.db.transaction() as tx:
        tx.leases.try_acquire(PRESENCE_PREFIX + holder, holder, now, now + timedelta(hours=1))
    try:
        with pytest.raises(IncorrectState, match="rekey to a KMIP key provider"):
            rekey_master_key(deps, admin_call, RekeyMasterKeyRequest(INTERNAL, None))
    finally:
        with deps.db.transaction() as tx:
            tx.leases.release(PRESENCE_PREFIX + holder, holder)


def test_a_second_rekey_while_one_runs_is_refused(deps: Deps, admin_call: Call) -> None:
    with deps.db.transaction() as tx:
        handle = tx.at_rest.add_async_result(
            "RekeyMasterKey", {"state": "RewrapDataEncryptionKeys"}, deps.clock.now()
        )
    rekey_steps.mark_running(handle)
    try:
        with pytest.raises(RekeyInProgress):
            rekey_master_key(deps, admin_call, RekeyMasterKeyRequest(INTERNAL, None))
    finally:
        rekey_steps._running.discard(handle)
        with deps.db.transaction() as tx:
            tx.at_rest.delete_async_result(handle)


class _FailingCreate:
    """A connector whose sessions refuse to create keys (a KMIP server failing mid-rekey)."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    @contextmanager
    def session(self, server: KeyServer) -> Iterator[object]:
        with self._inner.session(server) as session:  # type: ignore[attr-defined]

            class Failing:
                probe = session.probe
                get_key = session.get_key
                destroy_key = session.destroy_key

                @staticmethod
                def create_master_key(name: str) -> str:
                    raise KmipFailure("kmip", "OPERATION_FAILED: simulated")

            yield Failing()


@pytest.mark.usefixtures("restore_internal")
def test_a_failed_create_rolls_back_and_changes_nothing(
    deps: Deps, admin_call: Call, kmip_server_factory: Callable[..., KmipTestServer]
) -> None:
    provider = _provider(deps, kmip_server_factory(), "failing")
    before = software_encryption_info(deps, admin_call, GetSoftwareEncryptionAtRestInfoRequest())
    real = deps.kmip
    deps.kmip = _FailingCreate(real)  # type: ignore[assignment]
    try:
        handle = rekey_master_key(deps, admin_call, RekeyMasterKeyRequest(EXTERNAL, provider))
        result = _wait(deps, admin_call, handle)
    finally:
        deps.kmip = real
    assert result.error is not None and "simulated" in str(result.error["message"])
    assert "rolled back" in str(result.error["message"])
    assert (
        software_encryption_info(deps, admin_call, GetSoftwareEncryptionAtRestInfoRequest()).key_id
        == before.key_id
    )
    with deps.db.transaction(read_only=True) as tx:
        abandoned = tx.at_rest.master_keys([MasterKeyState.ABANDONED])
    assert abandoned


def _interrupted(deps: Deps, kind: ManagementType, provider: int | None) -> int:
    """A rekey recorded as a process would before dying (nothing run yet)."""
    from strongroom.services.at_rest.rekey import _record_start

    return _record_start(deps, kind, provider)


@pytest.mark.usefixtures("restore_internal")
def test_crash_before_the_rewrap_rolls_back(
    deps: Deps, admin_call: Call, kmip_server_factory: Callable[..., KmipTestServer]
) -> None:
    provider = _provider(deps, kmip_server_factory(), "crash-early")
    before = software_encryption_info(deps, admin_call, GetSoftwareEncryptionAtRestInfoRequest())
    handle = _interrupted(deps, EXTERNAL, provider)
    details = rekey_steps._details(deps, handle)
    rekey_steps._create(deps, handle, details)  # the new key exists; then the process died
    assert recovery.resume_interrupted(deps) == 1
    result = _wait(deps, admin_call, handle)
    assert result.error is not None and "Interrupted" in str(result.error["message"])
    assert (
        software_encryption_info(deps, admin_call, GetSoftwareEncryptionAtRestInfoRequest()).key_id
        == before.key_id
    )
    new_id = str(details["new"]["key_id"])  # type: ignore[index]
    with deps.db.transaction(read_only=True) as tx:
        record = tx.at_rest.master_key(new_id)
        server = tx.at_rest.servers(provider)[0]
    assert record is not None and record.state is MasterKeyState.ABANDONED
    assert record.kmip_uid is not None and _kmip_key_gone(deps, server, record.kmip_uid)


@pytest.mark.usefixtures("restore_internal")
def test_crash_after_the_rewrap_completes(
    deps: Deps, admin_call: Call, kmip_server_factory: Callable[..., KmipTestServer]
) -> None:
    provider = _provider(deps, kmip_server_factory(), "crash-late")
    sealed = deps.barrier.seal(b"still here", "rows/2")
    handle = _interrupted(deps, EXTERNAL, provider)
    details = rekey_steps._details(deps, handle)
    master = rekey_steps._create(deps, handle, details)
    rekey_steps._rewrap(deps, handle, details, master)  # then the process died
    assert recovery.resume_interrupted(deps) == 1
    result = _wait(deps, admin_call, handle)
    assert result.error is None and result.result is not None
    assert (
        software_encryption_info(
            deps, admin_call, GetSoftwareEncryptionAtRestInfoRequest()
        ).provider_id
        == provider
    )
    assert deps.data_dir is not None
    assert not (deps.data_dir / InternalMasterKey.FILENAME).exists()
    with _reopened(deps) as restarted:
        assert restarted.barrier.open(sealed, "rows/2") == b"still here"


@pytest.mark.usefixtures("restore_internal")
def test_sealed_while_the_kmip_server_is_down_and_unsealed_when_it_returns(
    deps: Deps, admin_call: Call, kmip_server_factory: Callable[..., KmipTestServer]
) -> None:
    server = kmip_server_factory()
    _rekey(deps, admin_call, EXTERNAL, _provider(deps, server, "flaky"))
    server.stop()
    with _reopened(deps) as restarted:
        assert restarted.barrier.sealed
        assert "tcp" in str(restarted.barrier.sealed_reason).lower() or "connect" in str(
            restarted.barrier.sealed_reason
        )
        server.start()
        assert try_unseal(restarted)
        assert not restarted.barrier.sealed


@pytest.mark.usefixtures("restore_internal")
def test_master_key_destroyed_out_of_band_keeps_strongroom_sealed(
    deps: Deps, admin_call: Call, kmip_server_factory: Callable[..., KmipTestServer]
) -> None:
    server = kmip_server_factory()
    provider = _provider(deps, server, "destroyed")
    _rekey(deps, admin_call, EXTERNAL, provider)
    info = software_encryption_info(deps, admin_call, GetSoftwareEncryptionAtRestInfoRequest())
    with deps.db.transaction(read_only=True) as tx:
        record = tx.at_rest.master_key(info.key_id)
        key_server = tx.at_rest.servers(provider)[0]
        wrapped_before = tx.at_rest.keyring()
    assert record is not None and record.kmip_uid is not None and deps.kmip is not None
    with deps.kmip.session(key_server) as session:
        session.destroy_key(record.kmip_uid)
    with _reopened(deps) as restarted:
        assert restarted.barrier.sealed
        assert "ITEM_NOT_FOUND" in str(restarted.barrier.sealed_reason)
        assert record.kmip_uid in str(restarted.barrier.sealed_reason) or info.key_id in str(
            restarted.barrier.sealed_reason
        )
    with deps.db.transaction(read_only=True) as tx:
        assert tx.at_rest.keyring() == wrapped_before  # nothing overwritten
    # The running process (already unsealed) still serves; back to internal for the others.
