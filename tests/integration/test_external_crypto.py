"""EXTERNAL keys through the oci SDK against a real strongroom-ekm, over EKMS (tokens from
Strongroom's own token endpoint) and XKS (SigV4): creation checked with the EKM, crypto
forwarded to it, and every refusal with its own error."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from oci.exceptions import ServiceError
from oci.key_management import KmsVaultClient
from oci.key_management import models as m

from tests.ekm_support import EkmProxy, running_proxy
from tests.helpers import b64d, b64e
from tests.integration import support
from tests.integration.external_support import (
    TEST_TIMEOUT,
    ExternalVault,
    decrypt,
    ekm_settings,
    ekms_client,
    ekms_metadata,
    encrypt,
    external_key,
    open_vault,
    trust_strongroom_tokens,
    xks_metadata,
)
from tests.integration.iam_support import iam_session
from tests.integration.support import Raw, Server

AES_256 = m.KeyShape(algorithm="AES", length=32)


@pytest.fixture(scope="module")
def proxy(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EkmProxy]:
    with (
        ekm_settings(server, timeout_seconds=TEST_TIMEOUT),
        running_proxy(tmp_path_factory.mktemp("ekm-crypto"), "software", keys=3) as running,
    ):
        trust_strongroom_tokens(server, running)
        yield running


@pytest.fixture(scope="module", params=["EKMS", "XKS"])
def ext(
    request: pytest.FixtureRequest, server: Server, proxy: EkmProxy, vault_client: KmsVaultClient
) -> ExternalVault:
    if request.param == "EKMS":
        metadata = ekms_metadata(server, proxy, ekms_client(server, proxy.vault_url))
    else:
        metadata = xks_metadata(proxy)
    return open_vault(server, vault_client, metadata, proxy)


def _is_ekms(ext: ExternalVault) -> bool:
    url: str = ext.vault.external_key_manager_metadata_summary.external_vault_endpoint_url
    return not url.endswith("/kms/xks/v1")


def _fresh_external_key(ext: ExternalVault) -> str:
    return ext.proxy.create_key(f"k-{uuid.uuid4().hex[:12]}")


def test_external_key_is_created_with_the_ekm_version(server: Server, ext: ExternalVault) -> None:
    external_id = ext.proxy.key_ids[0]
    key = external_key(ext.kms, server.tenancy, external_id)
    assert key.protection_mode == "EXTERNAL"
    assert key.key_shape.algorithm == "AES" and key.key_shape.length == 32
    assert key.external_key_reference_details.external_key_id == external_id
    got = ext.kms.get_key(key.id).data
    assert got.external_key_reference_details.external_key_id == external_id
    listed = ext.kms.list_keys(server.tenancy).data
    (mine,) = [k for k in listed if k.id == key.id]
    assert mine.external_key_reference_details.external_key_id == external_id
    version = ext.kms.get_key_version(key.id, key.current_key_version).data
    assert version.external_key_reference_details.external_key_id == external_id
    assert version.origin == "EXTERNAL"
    external_version = version.external_key_reference_details.external_key_version_id
    if _is_ekms(ext):
        assert external_version
    else:
        assert external_version is None
    assert key.external_key_reference_details.external_key_version_id == external_version


def test_encrypt_decrypt_round_trip_with_associated_data(
    server: Server, ext: ExternalVault
) -> None:
    key = external_key(ext.kms, server.tenancy, ext.proxy.key_ids[0])
    aad = {"tenant": "blue", "purpose": "test"}
    for plaintext in (b"", b"x", bytes(range(256)) * 16):
        sealed = encrypt(ext.crypto, key.id, plaintext, aad)
        assert sealed.key_version_id == key.current_key_version
        assert sealed.encryption_algorithm == "AES_256_GCM"
        assert decrypt(ext.crypto, key.id, sealed.ciphertext, aad) == plaintext
    sealed = encrypt(ext.crypto, key.id, b"bound")
    for wrong in ({"tenant": "red"}, {"tenant": "blue", "purpose": "test", "x": "y"}):
        support.service_error(
            ext.crypto.decrypt,
            m.DecryptDataDetails(
                key_id=key.id, ciphertext=sealed.ciphertext, associated_data=wrong
            ),
            status=400,
            code="InvalidParameter",
        )
    tampered = bytearray(b64d(sealed.ciphertext))
    tampered[-1] ^= 1
    support.service_error(
        ext.crypto.decrypt,
        m.DecryptDataDetails(key_id=key.id, ciphertext=b64e(bytes(tampered))),
        status=400,
        code="InvalidParameter",
    )


def test_xks_calls_satisfy_the_proxys_required_request_metadata(
    server: Server, ext: ExternalVault
) -> None:
    """strongroom-ekm refuses XKS calls missing a REQUIRED requestMetadata field (400), so
    Strongroom's key check, encrypt, decrypt and health going through show it sends them all."""
    if _is_ekms(ext):
        pytest.skip("XKS only")
    key = external_key(ext.kms, server.tenancy, _fresh_external_key(ext))
    sealed = encrypt(ext.crypto, key.id, b"conformant", {"a": "b"})
    assert decrypt(ext.crypto, key.id, sealed.ciphertext, {"a": "b"}) == b"conformant"
    assert "ValidationException" not in ext.proxy.log_tail()


def test_an_xks_key_that_cannot_encrypt_and_decrypt_is_refused(
    server: Server, ext: ExternalVault, raw: Raw
) -> None:
    if _is_ekms(ext):
        pytest.skip("XKS only: EKMS key metadata carries no usage")
    before = raw.count_keys(ext.vault)
    external_id = ext.proxy.create_key(f"k-{uuid.uuid4().hex[:12]}", usage="encrypt")
    with pytest.raises(ServiceError) as refused:
        external_key(ext.kms, server.tenancy, external_id)
    assert "cannot encrypt and decrypt" in refused.value.message, refused.value
    assert raw.count_keys(ext.vault) == before


def test_generate_data_encryption_key(server: Server, ext: ExternalVault) -> None:
    key = external_key(ext.kms, server.tenancy, ext.proxy.key_ids[0])
    details = m.GenerateKeyDetails(
        key_id=key.id, key_shape=AES_256, include_plaintext_key=True, associated_data={"a": "b"}
    )
    made = ext.crypto.generate_data_encryption_key(details).data
    plain = b64d(made.plaintext)
    assert len(plain) == 32
    assert made.plaintext_checksum
    assert decrypt(ext.crypto, key.id, made.ciphertext, {"a": "b"}) == plain
    hidden = m.GenerateKeyDetails(key_id=key.id, key_shape=m.KeyShape(algorithm="AES", length=16))
    only_wrapped = ext.crypto.generate_data_encryption_key(hidden).data
    assert only_wrapped.plaintext is None
    assert len(decrypt(ext.crypto, key.id, only_wrapped.ciphertext)) == 16


def test_keys_sharing_an_external_key_keep_their_ciphertexts_apart(
    server: Server, ext: ExternalVault
) -> None:
    external_id = ext.proxy.key_ids[1]
    first = external_key(ext.kms, server.tenancy, external_id)
    second = external_key(ext.kms, server.tenancy, external_id)
    sealed = encrypt(ext.crypto, first.id, b"mine")
    assert decrypt(ext.crypto, first.id, sealed.ciphertext) == b"mine"
    # The ciphertext names the first key's version: the second key refuses it.
    support.service_error(
        ext.crypto.decrypt,
        m.DecryptDataDetails(key_id=second.id, ciphertext=sealed.ciphertext),
        status=400,
        code="InvalidParameter",
    )
    assert decrypt(ext.crypto, second.id, encrypt(ext.crypto, second.id, b"b").ciphertext) == b"b"


def test_rotation_maps_to_the_ekm_versions(server: Server, ext: ExternalVault) -> None:
    external_id = _fresh_external_key(ext)
    key = external_key(ext.kms, server.tenancy, external_id)
    old = encrypt(ext.crypto, key.id, b"before")
    first_version = ext.kms.get_key_version(key.id, key.current_key_version).data
    if _is_ekms(ext):
        ext.proxy.rotate_key(external_id)
    new_version = ext.kms.create_key_version(key.id).data
    assert new_version.id != first_version.id
    details = new_version.external_key_reference_details
    before = first_version.external_key_reference_details.external_key_version_id
    if _is_ekms(ext):
        assert details.external_key_version_id and details.external_key_version_id != before
        # An explicit EKM version may be named (the SDK's ExternalKeyVersionReference).
        named = ext.kms.create_key_version(
            key.id,
            create_key_metadata_details=m.ExternalKeyVersionReference(
                external_key_version_id=before
            ),
        ).data
        assert named.external_key_reference_details.external_key_version_id == before
        support.service_error(
            ext.kms.create_key_version,
            key.id,
            create_key_metadata_details=m.ExternalKeyVersionReference(
                external_key_version_id="no-such-version"
            ),
            status=400,
            code="InvalidParameter",
        )
    else:
        assert details.external_key_version_id is None
        support.service_error(
            ext.kms.create_key_version,
            key.id,
            create_key_metadata_details=m.ExternalKeyVersionReference(external_key_version_id="v1"),
            status=400,
            code="InvalidParameter",
        )
    current = ext.kms.get_key(key.id).data
    assert current.external_key_reference_details.external_key_version_id == (
        ext.kms.get_key_version(
            key.id, current.current_key_version
        ).data.external_key_reference_details.external_key_version_id
    )
    fresh = encrypt(ext.crypto, key.id, b"after")
    assert fresh.key_version_id == ext.kms.get_key(key.id).data.current_key_version
    assert decrypt(ext.crypto, key.id, old.ciphertext) == b"before"
    assert decrypt(ext.crypto, key.id, fresh.ciphertext) == b"after"


def test_strongroom_key_disabled(server: Server, ext: ExternalVault) -> None:
    key = external_key(ext.kms, server.tenancy, ext.proxy.key_ids[0])
    sealed = encrypt(ext.crypto, key.id, b"x")
    ext.kms.disable_key(key.id)
    error = support.service_error(
        ext.crypto.decrypt,
        m.DecryptDataDetails(key_id=key.id, ciphertext=sealed.ciphertext),
        status=409,
        code="IncorrectState",
    )
    assert "DISABLED" in error.message
    ext.kms.enable_key(key.id)
    assert decrypt(ext.crypto, key.id, sealed.ciphertext) == b"x"


def test_external_key_disabled_in_the_ekm(server: Server, ext: ExternalVault) -> None:
    external_id = _fresh_external_key(ext)
    key = external_key(ext.kms, server.tenancy, external_id)
    sealed = encrypt(ext.crypto, key.id, b"x")
    ext.proxy.disable_key(external_id)
    try:
        error = support.service_error(
            encrypt, ext.crypto, key.id, b"y", status=409, code="IncorrectState"
        )
        assert "disabled in the external key manager" in error.message
        assert external_id in error.message
        support.service_error(
            ext.crypto.decrypt,
            m.DecryptDataDetails(key_id=key.id, ciphertext=sealed.ciphertext),
            status=409,
            code="IncorrectState",
        )
        error = support.service_error(
            external_key, ext.kms, server.tenancy, external_id, status=409, code="IncorrectState"
        )
        assert "disabled in the external key manager" in error.message
    finally:
        ext.proxy.enable_key(external_id)
    assert decrypt(ext.crypto, key.id, sealed.ciphertext) == b"x"


def test_unknown_external_key_is_refused(server: Server, ext: ExternalVault, raw: Raw) -> None:
    before = raw.count_keys(ext.vault)
    error = support.service_error(
        external_key,
        ext.kms,
        server.tenancy,
        "no-such-key-" + uuid.uuid4().hex[:8],
        status=400,
        code="InvalidParameter",
    )
    assert "does not exist in the external key manager" in error.message
    assert raw.count_keys(ext.vault) == before


@pytest.mark.parametrize(
    ("shape", "mode", "reference"),
    [
        pytest.param(m.KeyShape(algorithm="AES", length=16), "EXTERNAL", "k", id="aes-128"),
        pytest.param(m.KeyShape(algorithm="RSA", length=256), "EXTERNAL", "k", id="rsa"),
        pytest.param(AES_256, "SOFTWARE", None, id="software-in-external-vault"),
        pytest.param(AES_256, "EXTERNAL", None, id="no-reference"),
        pytest.param(AES_256, "EXTERNAL", "a/b", id="slash-in-reference"),
    ],
)
def test_bad_external_keys_are_refused(
    server: Server,
    ext: ExternalVault,
    raw: Raw,
    shape: m.KeyShape,
    mode: str,
    reference: str | None,
) -> None:
    before = raw.count_keys(ext.vault)
    details = m.CreateKeyDetails(
        compartment_id=server.tenancy,
        display_name="bad",
        key_shape=shape,
        protection_mode=mode,
        external_key_reference=None
        if reference is None
        else m.ExternalKeyReference(
            external_key_id=ext.proxy.key_ids[0] if reference == "k" else reference
        ),
    )
    support.service_error(ext.kms.create_key, details, status=400, code="InvalidParameter")
    assert raw.count_keys(ext.vault) == before


def test_external_keys_only_in_external_vaults(
    server: Server, ext: ExternalVault, kms: object
) -> None:
    from oci.key_management import KmsManagementClient

    assert isinstance(kms, KmsManagementClient)
    support.service_error(
        external_key, kms, server.tenancy, ext.proxy.key_ids[0], status=400, code="InvalidParameter"
    )


def test_sign_verify_export_and_secrets_are_refused(server: Server, ext: ExternalVault) -> None:
    key = external_key(ext.kms, server.tenancy, ext.proxy.key_ids[0])
    message = b64e(b"message")
    error = support.service_error(
        ext.crypto.sign,
        m.SignDataDetails(
            key_id=key.id, message=message, signing_algorithm="SHA_256_RSA_PKCS1_V1_5"
        ),
        status=400,
        code="InvalidParameter",
    )
    assert "EXTERNAL" in error.message
    support.service_error(
        ext.crypto.verify,
        m.VerifyDataDetails(
            key_id=key.id,
            key_version_id=key.current_key_version,
            message=message,
            signature=b64e(b"s" * 64),
            signing_algorithm="SHA_256_RSA_PKCS1_V1_5",
        ),
        status=400,
        code="InvalidParameter",
    )
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    public = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    support.service_error(
        ext.crypto.export_key,
        m.ExportKeyDetails(key_id=key.id, algorithm="RSA_OAEP_SHA256", public_key=public),
        status=400,
        code="InvalidParameter",
    )
    from oci.vault import VaultsClient
    from oci.vault import models as vm

    secrets = VaultsClient(
        server.config, service_endpoint=server.url, retry_strategy=support.NO_RETRY
    )
    details = vm.CreateSecretDetails(
        compartment_id=server.tenancy,
        vault_id=ext.vault.id,
        key_id=key.id,
        secret_name=f"s-{uuid.uuid4().hex[:8]}",
        secret_content=vm.Base64SecretContentDetails(content=b64e(b"secret")),
    )
    error = support.service_error(
        secrets.create_secret, details, status=400, code="InvalidParameter"
    )
    assert "EXTERNAL" in error.message


def test_external_keys_use_the_kms_permissions(
    server: Server, ext: ExternalVault, tmp_path: Path
) -> None:
    key = external_key(ext.kms, server.tenancy, ext.proxy.key_ids[0])
    sealed = encrypt(ext.crypto, key.id, b"policy")
    with iam_session(server, tmp_path) as iam:
        group, person = iam.member()
        crypto, kms = person.crypto(ext.vault), person.management(ext.vault)
        details = m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"x"))
        support.service_error(crypto.encrypt, details, status=404, code="NotAuthorizedOrNotFound")
        iam.policy(f"Allow group {group.name} to use keys in tenancy")
        assert decrypt(crypto, key.id, encrypt(crypto, key.id, b"mine").ciphertext) == b"mine"
        assert decrypt(crypto, key.id, sealed.ciphertext) == b"policy"
        support.service_error(
            external_key,
            kms,
            server.tenancy,
            ext.proxy.key_ids[0],
            status=404,
            code="NotAuthorizedOrNotFound",
        )
        support.service_error(
            kms.create_key_version, key.id, status=404, code="NotAuthorizedOrNotFound"
        )
