"""XKI instances (external key instances) through the Alibaba KMS API, against a real
``strongroom-ekm``: keys bound to an external key with the extension parameter
``ExternalKeyId`` (the core SDK's ``add_query_param``, the Tea SDK's generic ``call_api``),
crypto forwarded to the key manager, each failed precondition with its own error and nothing
stored; and the ``strongroom xki`` commands."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from oci.key_management import KmsVaultClient
from oci.key_management import models as m

from tests.clock import ManualClock
from tests.ekm_support import EkmProxy, running_proxy
from tests.integration import cli_support, iam_support
from tests.integration.alibaba.support import (
    Alibaba,
    TeaError,
    alibaba_for,
    core_error,
    tea_call,
)
from tests.integration.external_support import (
    TEST_TIMEOUT,
    ExternalVault,
    decrypt,
    ekm_settings,
    ekms_client,
    ekms_metadata,
    open_vault,
    trust_strongroom_tokens,
    xks_metadata,
)
from tests.integration.support import Server

UNSUPPORTED = "Rejected.UnsupportedOperation"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def proxy(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EkmProxy]:
    with (
        ekm_settings(server, timeout_seconds=TEST_TIMEOUT),
        running_proxy(tmp_path_factory.mktemp("xki"), "software", keys=2) as running,
    ):
        trust_strongroom_tokens(server, running)
        yield running


@pytest.fixture(scope="module")
def alibaba(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Alibaba]:
    """An access key of a new user allowed to manage everything."""
    with iam_support.iam_session(server, tmp_path_factory.mktemp("xki-iam")) as iam:
        group = iam.group()
        iam.policy(f"Allow group {group.name} to manage all-resources in tenancy")
        yield alibaba_for(server, iam.person(group).id)


@pytest.fixture(scope="module")
def xks(server: Server, proxy: EkmProxy, vault_client: KmsVaultClient) -> ExternalVault:
    """An XKI instance whose proxy speaks XKS."""
    return open_vault(server, vault_client, xks_metadata(proxy), proxy)


@pytest.fixture(scope="module")
def ekms(server: Server, proxy: EkmProxy, vault_client: KmsVaultClient) -> ExternalVault:
    """An XKI instance whose proxy speaks the OCI EKMS API."""
    metadata = ekms_metadata(server, proxy, ekms_client(server, proxy.vault_url))
    return open_vault(server, vault_client, metadata, proxy)


@pytest.fixture(params=["XKS", "EKMS"])
def instance(request: pytest.FixtureRequest) -> ExternalVault:
    found: ExternalVault = request.getfixturevalue(request.param.lower())
    return found


def bind(alibaba: Alibaba, instance: ExternalVault, external_id: str, **more: str) -> str:
    made = alibaba.core_call(
        "CreateKey", DKMSInstanceId=instance.vault.id, ExternalKeyId=external_id, **more
    )
    key_id: str = made["KeyMetadata"]["KeyId"]
    return key_id


def fresh_external_key(proxy: EkmProxy) -> str:
    return proxy.create_key(f"xki-{uuid.uuid4().hex[:12]}")


def key_count(server: Server, instance: ExternalVault) -> int:
    return len(instance.kms.list_keys(server.tenancy).data)


def test_keys_bound_through_both_sdks_encrypt_and_decrypt_end_to_end(
    server: Server, alibaba: Alibaba, instance: ExternalVault
) -> None:
    external_id = instance.proxy.key_ids[0]
    by_core = bind(alibaba, instance, external_id, Description="orders")
    by_tea = tea_call(
        alibaba, "CreateKey", DKMSInstanceId=instance.vault.id, ExternalKeyId=external_id
    )["KeyMetadata"]
    assert by_tea["ExternalKeyId"] == external_id and by_tea["KeyState"] == "Enabled"
    assert by_tea["KeySpec"] == "Aliyun_AES_256" and by_tea["KeyUsage"] == "ENCRYPT/DECRYPT"
    described = alibaba.core_call("DescribeKey", KeyId=by_core)["KeyMetadata"]
    assert described["DKMSInstanceId"] == instance.vault.id
    assert described["ExternalKeyId"] == external_id and described["Description"] == "orders"
    # Several keys reference one external key, and the OCI API sees the same binding.
    oci_key = instance.kms.get_key(by_tea["KeyId"]).data
    assert oci_key.protection_mode == "EXTERNAL"
    assert oci_key.external_key_reference_details.external_key_id == external_id

    got = alibaba.core_call("GetKmsInstance", KmsInstanceId=instance.vault.id)["KmsInstance"]
    assert got["InstanceType"] == "XKI" and got["XkiProxyConnected"] is True

    context = json.dumps({"order": "42"})
    for key_id in (by_core, by_tea["KeyId"]):
        sealed = alibaba.core_call(
            "Encrypt", KeyId=key_id, Plaintext=_b64(b"card"), EncryptionContext=context
        )
        assert sealed["KeyId"] == key_id
        opened = tea_call(
            alibaba, "Decrypt", CiphertextBlob=sealed["CiphertextBlob"], EncryptionContext=context
        )
        assert base64.b64decode(opened["Plaintext"]) == b"card" and opened["KeyId"] == key_id
        # One key whatever the API: the Alibaba ciphertext opens through the OCI API.
        blob = sealed["CiphertextBlob"]
        assert decrypt(instance.crypto, key_id, blob, {"order": "42"}) == b"card"
    wrong = core_error(alibaba, "Decrypt", CiphertextBlob=blob, EncryptionContext="{}")
    assert wrong.error_code == "InvalidCiphertext"

    data_key = alibaba.core_call("GenerateDataKey", KeyId=by_core, NumberOfBytes="32")
    plain = base64.b64decode(data_key["Plaintext"])
    assert len(plain) == 32
    unwrapped = alibaba.core_call("Decrypt", CiphertextBlob=data_key["CiphertextBlob"])
    assert base64.b64decode(unwrapped["Plaintext"]) == plain
    bare = alibaba.core_call("GenerateDataKeyWithoutPlaintext", KeyId=by_core)
    assert "Plaintext" not in bare
    assert alibaba.core_call("Decrypt", CiphertextBlob=bare["CiphertextBlob"])["KeyId"] == by_core


def test_a_disabled_key_is_rejected_disabled(alibaba: Alibaba, xks: ExternalVault) -> None:
    key_id = bind(alibaba, xks, xks.proxy.key_ids[0])
    sealed = alibaba.core_call("Encrypt", KeyId=key_id, Plaintext=_b64(b"x"))
    alibaba.core_call("DisableKey", KeyId=key_id)
    for action, params in (
        ("Encrypt", {"KeyId": key_id, "Plaintext": _b64(b"y")}),
        ("Decrypt", {"CiphertextBlob": sealed["CiphertextBlob"]}),
        ("GenerateDataKey", {"KeyId": key_id}),
    ):
        error = core_error(alibaba, action, **params)
        assert (error.http_status, error.error_code) == (409, "Rejected.Disabled"), action
    alibaba.core_call("EnableKey", KeyId=key_id)
    opened = alibaba.core_call("Decrypt", CiphertextBlob=sealed["CiphertextBlob"])
    assert base64.b64decode(opened["Plaintext"]) == b"x"


def test_an_external_key_disabled_in_the_proxy(
    server: Server, alibaba: Alibaba, xks: ExternalVault
) -> None:
    external_id = fresh_external_key(xks.proxy)
    key_id = bind(alibaba, xks, external_id)
    sealed = alibaba.core_call("Encrypt", KeyId=key_id, Plaintext=_b64(b"x"))
    before = key_count(server, xks)
    xks.proxy.disable_key(external_id)
    try:
        for action, params in (
            ("Encrypt", {"KeyId": key_id, "Plaintext": _b64(b"y")}),
            ("Decrypt", {"CiphertextBlob": sealed["CiphertextBlob"]}),
            ("CreateKey", {"DKMSInstanceId": xks.vault.id, "ExternalKeyId": external_id}),
        ):
            error = core_error(alibaba, action, **params)
            assert (error.http_status, error.error_code) == (
                409,
                "Rejected.ExternalKeyDisabled",
            ), action
            assert f"{external_id!r} is disabled in the external key manager" in error.message
        with pytest.raises(TeaError) as caught:
            tea_call(alibaba, "CreateKey", DKMSInstanceId=xks.vault.id, ExternalKeyId=external_id)
        assert caught.value.code == "Rejected.ExternalKeyDisabled"
        assert key_count(server, xks) == before
    finally:
        xks.proxy.enable_key(external_id)
    opened = alibaba.core_call("Decrypt", CiphertextBlob=sealed["CiphertextBlob"])
    assert base64.b64decode(opened["Plaintext"]) == b"x"


def test_an_external_key_missing_from_the_proxy(
    server: Server, alibaba: Alibaba, xks: ExternalVault
) -> None:
    before = key_count(server, xks)
    missing = f"no-such-key-{uuid.uuid4().hex[:8]}"
    error = core_error(alibaba, "CreateKey", DKMSInstanceId=xks.vault.id, ExternalKeyId=missing)
    assert (error.http_status, error.error_code) == (404, "Forbidden.ExternalKeyNotFound")
    assert f"{missing!r} does not exist in the external key manager" in error.message
    bad = core_error(alibaba, "CreateKey", DKMSInstanceId=xks.vault.id, ExternalKeyId="a/b")
    assert (bad.http_status, bad.error_code) == (400, "InvalidParameter")
    assert key_count(server, xks) == before


def test_a_proxy_that_is_down(
    server: Server,
    alibaba: Alibaba,
    vault_client: KmsVaultClient,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    with (
        ekm_settings(server, timeout_seconds=TEST_TIMEOUT),
        running_proxy(tmp_path, "software", keys=1) as own,
    ):
        down = open_vault(server, vault_client, xks_metadata(own), own)
        key_id = bind(alibaba, down, own.key_ids[0])
        sealed = alibaba.core_call("Encrypt", KeyId=key_id, Plaintext=_b64(b"earlier"))
        own.stop()
        for action, params in (
            ("CreateKey", {"DKMSInstanceId": down.vault.id, "ExternalKeyId": own.key_ids[0]}),
            ("Encrypt", {"KeyId": key_id, "Plaintext": _b64(b"y")}),
            ("Decrypt", {"CiphertextBlob": sealed["CiphertextBlob"]}),
            ("GenerateDataKey", {"KeyId": key_id}),
        ):
            error = core_error(alibaba, action, **params)
            assert (error.http_status, error.error_code) == (
                503,
                "Rejected.ExternalKeyStoreUnavailable",
            ), action
            assert "key manager (the XKI proxy) cannot be reached" in error.message
        assert [k.id for k in down.kms.list_keys(server.tenancy).data] == [key_id]
        # Once checked again (GetKmsInstance checks a stale health), the instance says so.
        clock.advance(timedelta(seconds=server.deps.ekm_settings.health_interval + 1))
        got = alibaba.core_call("GetKmsInstance", KmsInstanceId=down.vault.id)["KmsInstance"]
        assert got["XkiProxyConnected"] is False

        own.start()
        clock.advance(timedelta(seconds=server.deps.ekm_settings.health_interval + 1))
        time.sleep(2.1)  # the EKM client's circuit breaker waits on the real clock
        got = alibaba.core_call("GetKmsInstance", KmsInstanceId=down.vault.id)["KmsInstance"]
        assert got["XkiProxyConnected"] is True
        opened = alibaba.core_call("Decrypt", CiphertextBlob=sealed["CiphertextBlob"])
        assert base64.b64decode(opened["Plaintext"]) == b"earlier"


def test_a_proxy_that_blocks_the_instance(
    server: Server, alibaba: Alibaba, ekms: ExternalVault, clock: ManualClock
) -> None:
    key_id = bind(alibaba, ekms, ekms.proxy.key_ids[1])
    with ekms.proxy.blocked():
        error = core_error(alibaba, "Encrypt", KeyId=key_id, Plaintext=_b64(b"x"))
        assert (error.http_status, error.error_code) == (409, "Rejected.ExternalKeyStoreBlocked")
        assert "BLOCKED" in error.message
    clock.advance(timedelta(seconds=server.deps.ekm_settings.health_interval + 1))
    got = alibaba.core_call("GetKmsInstance", KmsInstanceId=ekms.vault.id)["KmsInstance"]
    assert got["XkiProxyConnected"] is True  # checked again: the block is lifted
    assert alibaba.core_call("Encrypt", KeyId=key_id, Plaintext=_b64(b"x"))["KeyId"] == key_id


def test_external_key_id_only_in_an_xki_instance(
    server: Server, alibaba: Alibaba, xks: ExternalVault, vault_client: KmsVaultClient
) -> None:
    kms_instance = vault_client.create_vault(
        m.CreateVaultDetails(
            compartment_id=server.tenancy, display_name="kms", vault_type="DEFAULT"
        )
    ).data
    error = core_error(
        alibaba, "CreateKey", DKMSInstanceId=kms_instance.id, ExternalKeyId=xks.proxy.key_ids[0]
    )
    assert (error.http_status, error.error_code) == (400, "InvalidParameter")
    assert "ExternalKeyId" in error.message and "not an XKI instance" in error.message
    before = key_count(server, xks)
    error = core_error(alibaba, "CreateKey", DKMSInstanceId=xks.vault.id)
    assert (error.http_status, error.error_code) == (400, "MissingParameter")
    assert "ExternalKeyId is required" in error.message and "XKI instance" in error.message
    assert key_count(server, xks) == before


@pytest.mark.parametrize(
    ("spec", "usage"),
    [
        ("Aliyun_AES_128", "ENCRYPT/DECRYPT"),
        ("RSA_2048", "ENCRYPT/DECRYPT"),
        ("RSA_2048", "SIGN/VERIFY"),
        ("EC_P256", "SIGN/VERIFY"),
    ],
)
def test_only_aes_256_encrypt_decrypt_in_an_xki_instance(
    server: Server, alibaba: Alibaba, xks: ExternalVault, spec: str, usage: str
) -> None:
    before = key_count(server, xks)
    for external in (True, False):
        params = {"DKMSInstanceId": xks.vault.id, "KeySpec": spec, "KeyUsage": usage}
        if external:
            params["ExternalKeyId"] = xks.proxy.key_ids[0]
        error = core_error(alibaba, "CreateKey", **params)
        assert (error.http_status, error.error_code) == (400, UNSUPPORTED)
        assert "Aliyun_AES_256 keys for ENCRYPT/DECRYPT only" in error.message
    assert key_count(server, xks) == before


def test_what_an_xki_key_cannot_do_is_refused_saying_why(
    server: Server, alibaba: Alibaba, xks: ExternalVault
) -> None:
    before = key_count(server, xks)
    external_id = xks.proxy.key_ids[0]
    imported = core_error(
        alibaba, "CreateKey", DKMSInstanceId=xks.vault.id, ExternalKeyId=external_id,
        Origin="EXTERNAL",
    )  # fmt: skip
    assert imported.error_code == UNSUPPORTED
    assert "material lives only in the external key manager" in imported.message
    rotating = core_error(
        alibaba, "CreateKey", DKMSInstanceId=xks.vault.id, ExternalKeyId=external_id,
        EnableAutomaticRotation="true", RotationInterval="604800s",
    )  # fmt: skip
    assert rotating.error_code == UNSUPPORTED
    assert "rotate the external key there" in rotating.message
    assert key_count(server, xks) == before


def test_the_cli_creates_an_instance_and_binds_keys(
    server: Server, alibaba: Alibaba, proxy: EkmProxy, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(proxy.secret_access_key + "\n")
    data = ("--data-dir", str(server.data_dir))
    made = cli_support.run(
        "xki", "create-instance", *data, "--endpoint-url", proxy.xks_url,
        "--client-id", proxy.access_key_id, "--client-secret-file", str(secret_file),
        "--name", "cli-xki", "-o", "json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert proxy.secret_access_key not in made.stdout + made.stderr
    shown = json.loads(made.stdout)
    assert shown["protocol"] == "XKS" and shown["xkiProxyConnected"] is True
    instance_id = shown["instanceId"]

    external_id = fresh_external_key(proxy)
    bound = []
    for _ in range(2):  # several keys may reference one external key
        done = cli_support.run(
            "xki", "bind-key", *data, "--instance-id", instance_id,
            "--external-key-id", external_id, "-o", "json",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        bound.append(json.loads(done.stdout)["keyId"])
    listed = cli_support.run("key", "associations", *data, "--key-id", bound[0], "-o", "json")
    assert listed.returncode == 0, listed.stderr
    sharing = json.loads(listed.stdout)
    assert sharing["externalKeyId"] == external_id
    assert [k["id"] for k in sharing["keysSharingExternalKey"]] == [bound[1]]

    missing = cli_support.run(
        "xki", "bind-key", *data, "--instance-id", instance_id,
        "--external-key-id", "no-such-key",
    )  # fmt: skip
    assert missing.returncode == 1
    assert "'no-such-key' does not exist in the external key manager" in missing.stderr

    # The instance and its keys, through the Alibaba API of the running server.
    got = alibaba.core_call("GetKmsInstance", KmsInstanceId=instance_id)["KmsInstance"]
    assert got["InstanceType"] == "XKI" and got["XkiProxyConnected"] is True
    sealed = alibaba.core_call("Encrypt", KeyId=bound[1], Plaintext=_b64(b"from the cli"))
    opened = alibaba.core_call("Decrypt", CiphertextBlob=sealed["CiphertextBlob"])
    assert base64.b64decode(opened["Plaintext"]) == b"from the cli"


def test_the_cli_reads_the_secret_from_stdin_and_never_echoes_it(
    server: Server, proxy: EkmProxy
) -> None:
    import subprocess

    done = subprocess.run(
        [
            *cli_support.command(), "xki", "create-instance", "--data-dir", str(server.data_dir),
            "--endpoint-url", proxy.xks_url, "--client-id", proxy.access_key_id,
        ],
        input=proxy.secret_access_key + "\n", capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "proxy connected: yes" in done.stdout
    assert proxy.secret_access_key not in done.stdout + done.stderr
    bad = cli_support.run(
        "xki", "create-instance", "--data-dir", str(server.data_dir),
        "--endpoint-url", "http://example.com/kms/xks/v1", "--client-id", "x",
        "--client-secret-file", "/nonexistent/secret",
    )  # fmt: skip
    assert bad.returncode == 2 and "cannot read the client secret" in bad.stderr
