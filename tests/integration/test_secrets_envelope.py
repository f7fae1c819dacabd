"""Secret contents are sealed under the vault key: its state decides whether they can be read.

Each test gets its own vault and key (``vault``, ``kms``, ``aes_key``), since it changes them.
"""

from __future__ import annotations

from datetime import timedelta

from oci.key_management import KmsManagementClient
from oci.key_management import models as m
from oci.secrets import SecretsClient
from oci.vault import VaultsClient
from oci.vault import models as vm
from sqlalchemy import event, select

from strongroom.services.secrets.rotation import RETRY_AFTER, rotate_due_secrets
from strongroom.storage import schema
from tests.clock import ManualClock
from tests.integration.secret_support import (
    create,
    error,
    new_version,
    read,
)
from tests.integration.support import Server

pytest_plugins = ["tests.integration.secret_fixtures"]


def test_disabling_the_key_makes_the_secret_unreadable_until_enabled(
    vaults: VaultsClient,
    bundles: SecretsClient,
    vault: m.Vault,
    kms: KmsManagementClient,
    aes_key: m.Key,
) -> None:
    made = create(vaults, vault, aes_key, b"sealed")
    kms.disable_key(aes_key.id)
    message = error(bundles.get_secret_bundle, made.id, status=409, code="IncorrectState")
    assert "secret's encryption key" in message
    assert "DISABLED" in message
    # Nor can new versions be sealed under it.
    error(new_version, vaults, made.id, b"v2", status=409, code="IncorrectState")
    # Metadata stays readable.
    assert vaults.get_secret(made.id).data.lifecycle_state == "ACTIVE"

    kms.enable_key(aes_key.id)
    assert read(bundles, made.id) == b"sealed"


def test_contents_survive_key_rotation(
    vaults: VaultsClient,
    bundles: SecretsClient,
    vault: m.Vault,
    kms: KmsManagementClient,
    aes_key: m.Key,
    server: Server,
) -> None:
    made = create(vaults, vault, aes_key, b"before rotation")
    rotated = kms.create_key_version(aes_key.id).data
    new_version(vaults, made.id, b"after rotation")
    assert read(bundles, made.id, version_number=1) == b"before rotation"
    assert read(bundles, made.id) == b"after rotation"
    with server.deps.db.transaction(read_only=True) as tx:
        first = tx.secrets.get_version(made.id, 1)
        second = tx.secrets.get_version(made.id, 2)
    assert first is not None and second is not None
    assert first.key_version_id == aes_key.current_key_version
    assert second.key_version_id == rotated.id


def test_a_deleted_key_makes_the_secret_unreadable(
    vaults: VaultsClient,
    bundles: SecretsClient,
    vault: m.Vault,
    kms: KmsManagementClient,
    aes_key: m.Key,
    clock: ManualClock,
) -> None:
    made = create(vaults, vault, aes_key, b"doomed")
    kms.schedule_key_deletion(aes_key.id, m.ScheduleKeyDeletionDetails())
    message = error(bundles.get_secret_bundle, made.id, status=409, code="IncorrectState")
    assert "PENDING_DELETION" in message
    clock.advance(timedelta(days=31))
    message = error(bundles.get_secret_bundle, made.id, status=409, code="IncorrectState")
    assert "DELETED" in message
    # And no new secret can be made with it.
    error(create, vaults, vault, aes_key, b"x", status=409, code="IncorrectState")


def test_stored_content_is_sealed_and_bound_to_its_row(
    vaults: VaultsClient,
    bundles: SecretsClient,
    vault: m.Vault,
    aes_key: m.Key,
    server: Server,
) -> None:
    plaintext = b"the-very-secret-content-" * 4
    one = create(vaults, vault, aes_key, plaintext)
    other = create(vaults, vault, aes_key, b"other")
    t = schema.secret_versions
    with server.deps.db.engine.begin() as conn:
        rows = conn.execute(select(t).where(t.c.secret_id.in_([one.id, other.id]))).all()
        stored = {row.secret_id: row for row in rows}
        assert plaintext not in bytes(stored[one.id].content)
        assert plaintext not in bytes(stored[one.id].wrapped_key)
        # Swap the sealed contents (and data keys) between the rows: neither opens.
        for source, target in ((one.id, other.id), (other.id, one.id)):
            conn.execute(
                t.update()
                .where(t.c.secret_id == target)
                .values(
                    content=stored[source].content,
                    wrapped_key=stored[source].wrapped_key,
                )
            )
    # Tampered storage is the server's failure (issue 13), no longer the caller's 400.
    for secret_id in (one.id, other.id):
        message = error(
            bundles.get_secret_bundle, secret_id, status=500, code="InternalServerError"
        )
        assert message.startswith("Internal error; request id ")


def test_create_checks_the_key(
    vaults: VaultsClient,
    vault: m.Vault,
    kms: KmsManagementClient,
    rsa_key: m.Key,
    shared_vault: m.Vault,
    shared_keys: dict[str, m.Key],
) -> None:
    message = error(create, vaults, vault, rsa_key, b"x", status=400, code="InvalidParameter")
    assert "AES" in message
    # A key of another vault.
    message = error(
        create, vaults, vault, shared_keys["aes"], b"x", status=400, code="InvalidParameter"
    )
    assert "vault" in message


def test_scheduled_rotation_waits_while_the_key_is_disabled(
    vaults: VaultsClient,
    bundles: SecretsClient,
    vault: m.Vault,
    kms: KmsManagementClient,
    aes_key: m.Key,
    clock: ManualClock,
    server: Server,
) -> None:
    made = create(
        vaults,
        vault,
        aes_key,
        None,
        enable_auto_generation=True,
        secret_generation_context=vm.BytesGenerationContext(
            generation_type="BYTES", generation_template="BYTES_512"
        ),
        rotation_config=vm.RotationConfig(
            rotation_interval="P1D", is_scheduled_rotation_enabled=True
        ),
    )
    kms.disable_key(aes_key.id)
    clock.advance(timedelta(days=1, seconds=1))
    rotate_due_secrets(server.deps)
    postponed = vaults.get_secret(made.id).data
    assert postponed.current_version_number == 1
    assert postponed.next_rotation_time == clock.now() + RETRY_AFTER

    kms.enable_key(aes_key.id)
    clock.advance(RETRY_AFTER)
    rotate_due_secrets(server.deps)
    assert vaults.get_secret(made.id).data.current_version_number == 2
    assert len(read(bundles, made.id)) == 64


def test_cached_reads_see_every_change_at_once(
    vaults: VaultsClient,
    bundles: SecretsClient,
    vault: m.Vault,
    kms: KmsManagementClient,
    aes_key: m.Key,
    server: Server,
) -> None:
    made = create(vaults, vault, aes_key, b"first")
    assert read(bundles, made.id) == b"first"

    statements: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(server.deps.db.engine, "before_cursor_execute", note)
    try:
        assert read(bundles, made.id) == b"first"
    finally:
        event.remove(server.deps.db.engine, "before_cursor_execute", note)
    assert not [s for s in statements if "secret" in s], "a repeated read should be cached"

    # A new version, a disabled key and a deletion are each seen by the very next read.
    new_version(vaults, made.id, b"second")
    assert read(bundles, made.id) == b"second"
    kms.disable_key(aes_key.id)
    assert "DISABLED" in error(bundles.get_secret_bundle, made.id, status=409)
    kms.enable_key(aes_key.id)
    assert read(bundles, made.id) == b"second"
    vaults.schedule_secret_deletion(made.id, vm.ScheduleSecretDeletionDetails())
    error(bundles.get_secret_bundle, made.id, status=409, code="IncorrectState")
