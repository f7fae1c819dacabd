"""Generated secrets and their rotation: now (RotateSecret), on schedule (the manual clock and
the scheduler function called directly), and cancelled."""

from __future__ import annotations

import json
import string
import threading
import time
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from oci.key_management import models as m
from oci.secrets import SecretsClient
from oci.vault import VaultsClient
from oci.vault import models as vm

from strongroom.api.oci.app import scheduler_loop
from strongroom.services.secrets.rotation import rotate_due_secrets, run_scheduled_work
from tests.clock import ManualClock
from tests.integration.secret_support import (
    create,
    error,
    new_version,
    read,
    update,
    versions,
)
from tests.integration.support import Server

pytest_plugins = ["tests.integration.secret_fixtures"]


def passphrase(length: int = 20, template: str | None = None) -> vm.PassphraseGenerationContext:
    return vm.PassphraseGenerationContext(
        generation_type="PASSPHRASE",
        generation_template="SECRETS_DEFAULT_PASSWORD",
        passphrase_length=length,
        secret_template=template,
    )


def generated(
    vaults: VaultsClient, vault: m.Vault, key: m.Key, context: Any, **extra: Any
) -> vm.Secret:
    return create(
        vaults,
        vault,
        key,
        None,
        secret_generation_context=context,
        enable_auto_generation=True,
        **extra,
    )


def rotation(days: int, scheduled: bool = True) -> vm.RotationConfig:
    return vm.RotationConfig(rotation_interval=f"P{days}D", is_scheduled_rotation_enabled=scheduled)


def test_passphrases(
    vaults: VaultsClient, bundles: SecretsClient, secret_vault: m.Vault, secret_key: m.Key
) -> None:
    made = generated(vaults, secret_vault, secret_key, passphrase(24))
    assert made.is_auto_generation_enabled is True
    assert made.secret_generation_context.generation_type == "PASSPHRASE"
    assert made.secret_generation_context.passphrase_length == 24
    value = read(bundles, made.id).decode()
    assert len(value) == 24
    assert any(c in string.ascii_uppercase for c in value)
    assert any(c in string.digits for c in value)
    version = vaults.get_secret_version(made.id, 1).data
    assert version.is_content_auto_generated is True

    templated = generated(
        vaults, secret_vault, secret_key, passphrase(16, '{"password": "%GENERATED_PASSPHRASE%"}')
    )
    assert len(json.loads(read(bundles, templated.id))["password"]) == 16


def test_ssh_keys_and_bytes(
    vaults: VaultsClient, bundles: SecretsClient, secret_vault: m.Vault, secret_key: m.Key
) -> None:
    ssh = generated(
        vaults,
        secret_vault,
        secret_key,
        vm.SshKeyGenerationContext(generation_type="SSH_KEY", generation_template="RSA_2048"),
    )
    pair = json.loads(read(bundles, ssh.id))
    assert pair["publicKey"].startswith("ssh-rsa ")
    private = serialization.load_pem_private_key(pair["privateKey"].encode(), None)
    assert private.key_size == 2048  # type: ignore[union-attr]

    raw = generated(
        vaults,
        secret_vault,
        secret_key,
        vm.BytesGenerationContext(generation_type="BYTES", generation_template="BYTES_512"),
    )
    assert len(read(bundles, raw.id)) == 64
    templated = generated(
        vaults,
        secret_vault,
        secret_key,
        vm.BytesGenerationContext(
            generation_type="BYTES",
            generation_template="BYTES_1024",
            secret_template="key=%GENERATED_BYTES%",
        ),
    )
    assert read(bundles, templated.id).startswith(b"key=")


def test_bad_generation_input(
    vaults: VaultsClient, secret_vault: m.Vault, secret_key: m.Key, secret: vm.Secret
) -> None:
    bad: list[Any] = [
        vm.PassphraseGenerationContext(
            generation_type="PASSPHRASE", generation_template="RSA_2048"
        ),
        passphrase(8),
        passphrase(100),
        passphrase(20, "no placeholder"),
        vm.SshKeyGenerationContext(generation_type="SSH_KEY", generation_template="RSA_1024"),
        vm.BytesGenerationContext(generation_type="BYTES", generation_template="BYTES_7"),
    ]
    for context in bad:
        error(
            generated,
            vaults,
            secret_vault,
            secret_key,
            context,
            status=400,
            code="InvalidParameter",
        )
    # Auto-generation with content, or without a context.
    error(
        create,
        vaults,
        secret_vault,
        secret_key,
        b"given",
        secret_generation_context=passphrase(),
        enable_auto_generation=True,
        status=400,
    )
    error(create, vaults, secret_vault, secret_key, None, enable_auto_generation=True, status=400)
    error(create, vaults, secret_vault, secret_key, None, status=400)


def test_rotate_now(
    vaults: VaultsClient, bundles: SecretsClient, secret_vault: m.Vault, secret_key: m.Key
) -> None:
    made = generated(vaults, secret_vault, secret_key, passphrase())
    first = read(bundles, made.id)
    vaults.rotate_secret(made.id)
    after = vaults.get_secret(made.id).data
    assert after.current_version_number == 2
    assert after.last_rotation_time is not None
    assert versions(vaults, made.id) == {1: ["PREVIOUS"], 2: ["CURRENT", "LATEST"]}
    second = read(bundles, made.id)
    assert second != first
    assert vaults.get_secret_version(made.id, 2).data.is_content_auto_generated is True
    # Generated content is not given by hand.
    error(new_version, vaults, made.id, b"manual", status=400, code="InvalidParameter")


def test_rotation_needs_generated_content(vaults: VaultsClient, secret: vm.Secret) -> None:
    message = error(vaults.rotate_secret, secret.id, status=400, code="InvalidParameter")
    assert "not supported" in message
    error(update, vaults, secret.id, rotation_config=rotation(30), status=400)
    target = vm.RotationConfig(
        rotation_interval="P30D",
        is_scheduled_rotation_enabled=True,
        target_system_details=vm.FunctionTargetSystemDetails(
            target_system_type="FUNCTION", function_id="ocid1.fnfunc.oc1..aaaa"
        ),
    )
    message = error(update, vaults, secret.id, rotation_config=target, status=400)
    assert "targetSystemDetails" in message


def test_scheduled_rotation(
    vaults: VaultsClient,
    bundles: SecretsClient,
    secret_vault: m.Vault,
    secret_key: m.Key,
    clock: ManualClock,
    server: Server,
) -> None:
    made = generated(vaults, secret_vault, secret_key, passphrase(), rotation_config=rotation(7))
    assert made.rotation_status == "SCHEDULED"
    assert made.next_rotation_time == clock.now() + timedelta(days=7)
    assert made.rotation_config.rotation_interval == "P7D"
    first = read(bundles, made.id)

    clock.advance(timedelta(days=6))
    rotate_due_secrets(server.deps)
    assert vaults.get_secret(made.id).data.current_version_number == 1

    clock.advance(timedelta(days=1, seconds=1))
    rotate_due_secrets(server.deps)
    rotate_due_secrets(server.deps)  # once per interval, however often the scheduler runs
    after = vaults.get_secret(made.id).data
    assert after.current_version_number == 2
    assert after.last_rotation_time == clock.now()
    assert after.next_rotation_time == clock.now() + timedelta(days=7)
    assert read(bundles, made.id) != first

    # Cancelling rotation turns the schedule off.
    vaults.cancel_secret_rotation(made.id)
    cancelled = vaults.get_secret(made.id).data
    assert cancelled.rotation_status == "NOT_ENABLED"
    assert cancelled.next_rotation_time is None
    clock.advance(timedelta(days=8))
    run_scheduled_work(server.deps)
    assert vaults.get_secret(made.id).data.current_version_number == 2


def test_rotation_config_update_and_interval_bounds(
    vaults: VaultsClient, secret_vault: m.Vault, secret_key: m.Key, clock: ManualClock
) -> None:
    made = generated(vaults, secret_vault, secret_key, passphrase())
    assert made.rotation_status == "NOT_ENABLED"
    for days in (0, 361):
        error(update, vaults, made.id, rotation_config=rotation(days), status=400)
    scheduled = update(vaults, made.id, rotation_config=rotation(360))
    assert scheduled.rotation_status == "SCHEDULED"
    assert scheduled.next_rotation_time == clock.now() + timedelta(days=360)
    # Turning auto-generation off while rotation is scheduled is refused.
    error(update, vaults, made.id, enable_auto_generation=False, status=400)
    off = update(vaults, made.id, rotation_config=rotation(30, scheduled=False))
    assert off.rotation_status == "NOT_ENABLED"
    assert off.next_rotation_time is None
    manual = update(vaults, made.id, enable_auto_generation=False)
    assert manual.is_auto_generation_enabled is False


def test_the_background_scheduler_rotates_due_secrets(
    vaults: VaultsClient,
    secret_vault: m.Vault,
    secret_key: m.Key,
    clock: ManualClock,
    server: Server,
) -> None:
    made = generated(vaults, secret_vault, secret_key, passphrase(), rotation_config=rotation(1))
    clock.advance(timedelta(days=1, seconds=1))
    stop = threading.Event()
    worker = threading.Thread(target=scheduler_loop, args=(server.deps, stop, 0.01))
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while vaults.get_secret(made.id).data.current_version_number != 2:
            assert time.monotonic() < deadline, "the scheduler did not rotate the secret"
            time.sleep(0.02)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
