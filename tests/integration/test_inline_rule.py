"""The inline rule (see :mod:`strongroom.services.nonblocking`): an inline route first runs on
the event loop with blocking forbidden and is run again from the start in a thread when it
raises WouldBlock, so it must write nothing while blocking is forbidden.

Every inline route of the route tables is driven through the SDK against a server whose
database records each write (a transaction opened for writing, an INSERT, UPDATE or DELETE)
with whether blocking was forbidden then; cold (every cache empty: the attempt on the event
loop would block and the rerun in a thread does the work) and warm (done on the event loop).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import oci
import pytest
from oci.key_management import KmsCryptoClient, KmsManagementClient, KmsVaultClient
from oci.key_management import models as km
from oci.secrets import SecretsClient
from oci.vault import VaultsClient
from oci.vault import models as vm
from sqlalchemy import event

from strongroom.api.oci import endpoint
from strongroom.api.oci.app import ROUTES
from strongroom.api.oci.endpoint import ApiRoute
from strongroom.services.nonblocking import WouldBlock, blocking_forbidden
from strongroom.services.ports import Deps
from strongroom.storage.unit_of_work import Transaction
from tests.clock import ManualClock
from tests.helpers import b64e
from tests.integration import support

INLINE = [route for route in ROUTES if route.inline]
NO_RETRY = oci.retry.NoneRetryStrategy()
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class Write(NamedTuple):
    what: str
    blocking_forbidden: bool


class Attempt(NamedTuple):
    operation: str
    blocking_forbidden: bool
    outcome: str  # "done", "would block" or the name of another exception


@dataclass
class Recorder:
    """Writes to the server's database and attempts of its endpoints, as they happen."""

    writes: list[Write] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)

    def forbidden_writes(self) -> list[Write]:
        return [w for w in self.writes if w.blocking_forbidden]


@dataclass
class Setup:
    """A running server with what the inline routes need: a key, a ciphertext, a secret."""

    deps: Deps
    recorder: Recorder
    crypto: KmsCryptoClient
    bundles: SecretsClient
    vault_id: str
    key_id: str
    ciphertext: str
    secret_id: str
    secret_name: str

    def empty_caches(self) -> None:
        deps = self.deps
        for cache in (deps.credentials, deps.keys_in_use, deps.secrets_in_use, deps.data_keys):
            cache.clear()
        deps.ekm_connections.clear()
        invalidate: Callable[[], None] | None = getattr(deps.authorizer, "invalidate", None)
        assert invalidate is not None, "the authorizer's caches cannot be emptied"
        invalidate()


# One driver per inline operation: a successful call through the SDK.
DRIVERS: dict[str, Callable[[Setup], None]] = {
    "Encrypt": lambda s: s.crypto.encrypt(
        km.EncryptDataDetails(key_id=s.key_id, plaintext=b64e(b"inline"))
    ),
    "Decrypt": lambda s: s.crypto.decrypt(
        km.DecryptDataDetails(key_id=s.key_id, ciphertext=s.ciphertext)
    ),
    "GenerateDataEncryptionKey": lambda s: s.crypto.generate_data_encryption_key(
        km.GenerateKeyDetails(
            key_id=s.key_id,
            include_plaintext_key=True,
            key_shape=km.KeyShape(algorithm="AES", length=32),
        )
    ),
    "GetSecretBundle": lambda s: s.bundles.get_secret_bundle(s.secret_id),
    "GetSecretBundleByName": lambda s: s.bundles.get_secret_bundle_by_name(
        secret_name=s.secret_name, vault_id=s.vault_id
    ),
}


def _record_writes(deps: Deps, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    """Record every write statement and every transaction opened for writing."""

    def on_execute(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if verb in WRITES:
            recorder.writes.append(Write(statement[:80], blocking_forbidden()))

    event.listen(deps.db.engine, "before_cursor_execute", on_execute)
    opened = deps.db.transaction

    def transaction(read_only: bool = False) -> AbstractContextManager[Transaction]:
        if not read_only:
            recorder.writes.append(Write("transaction opened for writing", blocking_forbidden()))
        return opened(read_only)

    monkeypatch.setattr(deps.db, "transaction", transaction)


def _record_attempts(recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    """Record every run of an endpoint's work (endpoint._process), on the loop or in a thread."""
    operations = {route.handler: route.operation for route in ROUTES}
    process = endpoint._process

    def recorded(*args: Any) -> Any:
        operation = operations.get(args[1], "?")
        forbidden = blocking_forbidden()
        try:
            done = process(*args)
        except WouldBlock:
            recorder.attempts.append(Attempt(operation, forbidden, "would block"))
            raise
        except Exception as error:
            recorder.attempts.append(Attempt(operation, forbidden, type(error).__name__))
            raise
        recorder.attempts.append(Attempt(operation, forbidden, "done"))
        return done

    monkeypatch.setattr(endpoint, "_process", recorded)


class _Made(NamedTuple):
    crypto: KmsCryptoClient
    vault_id: str
    key_id: str
    ciphertext: str
    secret_id: str
    secret_name: str


def _make_key_and_secret(server: support.Server) -> _Made:
    """A vault, an AES key, one ciphertext and one secret, through the SDK."""
    config, tenancy = server.config, server.tenancy
    vaults = KmsVaultClient(config, service_endpoint=server.url, retry_strategy=NO_RETRY)
    vault = vaults.create_vault(
        km.CreateVaultDetails(compartment_id=tenancy, display_name="v", vault_type="DEFAULT")
    ).data
    kms = KmsManagementClient(
        config, service_endpoint=vault.management_endpoint, retry_strategy=NO_RETRY
    )
    key = kms.create_key(
        km.CreateKeyDetails(
            compartment_id=tenancy,
            display_name="aes",
            key_shape=km.KeyShape(algorithm="AES", length=32),
            protection_mode="SOFTWARE",
        )
    ).data
    crypto = KmsCryptoClient(
        config, service_endpoint=vault.crypto_endpoint, retry_strategy=NO_RETRY
    )
    plain = km.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"secret"))
    ciphertext = crypto.encrypt(plain).data.ciphertext
    name = f"inline-{uuid.uuid4().hex[:8]}"
    content = vm.Base64SecretContentDetails(content_type="BASE64", content=b64e(b"v1"))
    details = vm.CreateSecretDetails(
        compartment_id=tenancy,
        vault_id=vault.id,
        key_id=key.id,
        secret_name=name,
        secret_content=content,
    )
    secrets = VaultsClient(config, service_endpoint=server.url, retry_strategy=NO_RETRY)
    secret = secrets.create_secret(details).data
    return _Made(crypto, vault.id, key.id, ciphertext, secret.id, name)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    data_dir: Path = tmp_path_factory.mktemp("inline") / "data"
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        support.running_server(data_dir, ManualClock()) as server,
    ):
        recorder = Recorder()
        _record_writes(server.deps, recorder, monkeypatch)
        _record_attempts(recorder, monkeypatch)
        made = _make_key_and_secret(server)
        bundles = SecretsClient(server.config, service_endpoint=server.url, retry_strategy=NO_RETRY)
        assert recorder.writes, "the recorder saw none of the setup's writes"
        assert recorder.forbidden_writes() == []
        yield Setup(
            server.deps,
            recorder,
            made.crypto,
            bundles,
            made.vault_id,
            made.key_id,
            made.ciphertext,
            made.secret_id,
            made.secret_name,
        )


def test_the_route_tables_have_inline_routes_and_each_has_a_driver() -> None:
    assert INLINE
    missing = sorted({route.operation for route in INLINE} - set(DRIVERS))
    assert missing == [], f"add a driver to DRIVERS for the inline routes {missing}"


@pytest.mark.parametrize("route", INLINE, ids=[route.operation for route in INLINE])
def test_an_inline_route_writes_nothing_while_blocking_is_forbidden(
    setup: Setup, route: ApiRoute
) -> None:
    drive = DRIVERS[route.operation]
    recorder = setup.recorder

    # Cold: the attempt on the event loop would block; the rerun in a thread does the work.
    setup.empty_caches()
    recorder.attempts.clear()
    recorder.writes.clear()
    drive(setup)
    assert recorder.forbidden_writes() == [], "written while blocking was forbidden (cold)"
    cold = [a for a in recorder.attempts if a.operation == route.operation]
    assert cold == [
        Attempt(route.operation, True, "would block"),
        Attempt(route.operation, False, "done"),
    ]

    # Warm: done on the event loop (a few tries: a cache entry may be due for a reload).
    recorder.attempts.clear()
    inline = Attempt(route.operation, True, "done")
    for _ in range(5):
        drive(setup)
        assert recorder.forbidden_writes() == [], "written while blocking was forbidden (warm)"
        if inline in recorder.attempts:
            break
    assert inline in recorder.attempts, recorder.attempts
