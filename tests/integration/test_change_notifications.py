"""Two ``strongroom serve`` processes on one PostgreSQL database: a change made through one is
seen by the other within 100 ms (LISTEN/NOTIFY, see strongroom.storage.change_feed), also after
the listening connection was killed and re-established."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import oci
import pytest
from oci.identity import models as im
from sqlalchemy import Engine, text

from tests.helpers import free_port
from tests.integration import cli_support, storage_support, support
from tests.integration.iam_support import identity_client, write_private_key

BOUND = 0.100  # seconds from A's answer to B's first refusal
MARGIN = 0.050  # one polling request's own duration


@pytest.fixture(scope="module")
def pg_engine() -> Iterator[Engine]:
    """A migrated schema of its own (skipped, with the reason, where PostgreSQL is absent)."""
    yield from storage_support.postgresql_engine()


class Pair:
    """Processes A and B serving one database, and the administrator's OCI config."""

    def __init__(self, url_a: str, url_b: str, config: dict[str, Any]) -> None:
        self.url_a, self.url_b, self.config = url_a, url_b, config
        self.tenancy = str(config["tenancy"])


@pytest.fixture(scope="module")
def pair(pg_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    database_url = pg_engine.url.render_as_string(hide_password=False)
    root = tmp_path_factory.mktemp("pair")
    data_a, data_b = root / "a", root / "b"
    done = cli_support.run("init", "--data-dir", str(data_a), "--database-url", database_url)
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.copytree(data_a, data_b)  # the master key, state and OCI config, as the README says
    with ExitStack() as stack:
        urls = []
        for name, data in (("a", data_a), ("b", data_b)):
            port, log = free_port(), root / f"{name}.log"
            args = ("--port", str(port), "--database-url", database_url)
            process = stack.enter_context(cli_support.serving(data, log, *args))
            url = f"http://127.0.0.1:{port}"
            cli_support.wait_serving(process, url, log)
            urls.append(url)
        config = oci.config.from_file(str(data_a / "oci" / "config"))
        yield Pair(urls[0], urls[1], config)


def _refused_within(probe: Callable[[], int], since: float, status: int) -> float:
    """Poll ``probe`` (an answer's status) for up to 1 s; seconds from ``since`` to ``status``."""
    deadline = since + 1.0
    while time.monotonic() < deadline:
        if probe() == status:
            return time.monotonic() - since
    raise AssertionError(f"still not {status} after 1 s")


def _status(call: Callable[[], object]) -> int:
    try:
        call()
    except oci.exceptions.ServiceError as error:
        return int(error.status)
    return 200


def _second_admin_key(pair: Pair, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """A new API key of the administrator, uploaded through A: its fingerprint and config."""
    key_file, public_pem = write_private_key(tmp_path)
    user = str(pair.config["user"])
    details = im.CreateApiKeyDetails(key=public_pem)
    uploaded = identity_client(pair.config, pair.url_a).upload_api_key(user, details).data
    config = dict(pair.config, fingerprint=uploaded.fingerprint, key_file=str(key_file))
    return str(uploaded.fingerprint), config


def _remove_key_and_watch_b(pair: Pair, tmp_path: Path) -> float:
    fingerprint, config = _second_admin_key(pair, tmp_path)
    on_b = support.vault_client(config, pair.url_b)

    def probe() -> int:
        return _status(lambda: on_b.list_vaults(pair.tenancy))

    assert probe() == 200  # B now caches the credential
    admin_on_a = identity_client(pair.config, pair.url_a)
    admin_on_a.delete_api_key(str(pair.config["user"]), fingerprint)
    return _refused_within(probe, time.monotonic(), 401)


def test_an_api_key_removed_through_a_is_refused_by_b_at_once(pair: Pair, tmp_path: Path) -> None:
    assert _remove_key_and_watch_b(pair, tmp_path) < BOUND + MARGIN


def test_a_key_disabled_through_a_is_refused_for_encrypt_by_b_at_once(pair: Pair) -> None:
    vault = support.new_vault(support.vault_client(pair.config, pair.url_a), pair.tenancy)
    kms_a = support.management_client(pair.config, vault)
    key = support.new_key(kms_a, pair.tenancy, "AES", 32)
    endpoint_b = str(vault.crypto_endpoint).replace(pair.url_a, pair.url_b)
    crypto_b = oci.key_management.KmsCryptoClient(
        pair.config, service_endpoint=endpoint_b, retry_strategy=support.NO_RETRY
    )
    details = oci.key_management.models.EncryptDataDetails(key_id=key.id, plaintext="aGVsbG8=")

    def probe() -> int:
        return _status(lambda: crypto_b.encrypt(details))

    assert probe() == 200  # B now caches the key's rows
    kms_a.disable_key(key.id)
    elapsed = _refused_within(lambda: 200 if probe() == 200 else 0, time.monotonic(), 0)
    assert elapsed < BOUND + MARGIN
    assert probe() != 200


def test_changes_still_reach_b_after_the_listening_connections_are_killed(
    pair: Pair, pg_engine: Engine, tmp_path: Path
) -> None:
    with pg_engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"
            )
        ).all()
    assert len(killed) >= 2  # A's and B's (and perhaps other tests' servers')
    time.sleep(0.5)  # reconnection: the first retry comes after 50 ms
    assert _remove_key_and_watch_b(pair, tmp_path) < BOUND + MARGIN
