"""Disabled, pending-deletion and deleted keys refuse cryptography with 409 IncorrectState."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from oci.key_management import KmsCryptoClient, KmsManagementClient
from oci.key_management import models as m

from tests.clock import ManualClock
from tests.helpers import b64d, b64e
from tests.integration.support import service_error


@pytest.fixture(scope="module")
def export_pem() -> str:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _aes_operations(
    crypto: KmsCryptoClient, key: m.Key, ciphertext: str, export_pem: str
) -> dict[str, Callable[[], Any]]:
    return {
        "encrypt": lambda: crypto.encrypt(
            m.EncryptDataDetails(key_id=key.id, plaintext=b64e(b"data"))
        ),
        "decrypt": lambda: crypto.decrypt(
            m.DecryptDataDetails(key_id=key.id, ciphertext=ciphertext)
        ),
        "generateDataEncryptionKey": lambda: crypto.generate_data_encryption_key(
            m.GenerateKeyDetails(
                key_id=key.id,
                key_shape=m.KeyShape(algorithm="AES", length=32),
                include_plaintext_key=False,
            )
        ),
        "exportKey": lambda: crypto.export_key(
            m.ExportKeyDetails(key_id=key.id, algorithm="RSA_OAEP_SHA256", public_key=export_pem)
        ),
    }


def _ecdsa_operations(
    crypto: KmsCryptoClient, key: m.Key, signature: str
) -> dict[str, Callable[[], Any]]:
    message = b64e(b"message")
    return {
        "sign": lambda: crypto.sign(
            m.SignDataDetails(key_id=key.id, message=message, signing_algorithm="ECDSA_SHA_256")
        ),
        "verify": lambda: crypto.verify(
            m.VerifyDataDetails(
                key_id=key.id,
                key_version_id=key.current_key_version,
                message=message,
                signature=signature,
                signing_algorithm="ECDSA_SHA_256",
            )
        ),
    }


def _all_refused(operations: dict[str, Callable[[], Any]], state: str) -> None:
    for name, operation in operations.items():
        error = service_error(operation, status=409, code="IncorrectState")
        assert state in error.message, (name, error.message)


def _all_work(operations: dict[str, Callable[[], Any]]) -> None:
    for name, operation in operations.items():
        assert operation().status == 200, name


def _prepare(
    crypto: KmsCryptoClient, aes_key: m.Key, ecdsa_key: m.Key, export_pem: str
) -> tuple[dict[str, Callable[[], Any]], dict[str, Callable[[], Any]], str]:
    ciphertext = crypto.encrypt(
        m.EncryptDataDetails(key_id=aes_key.id, plaintext=b64e(b"kept"))
    ).data.ciphertext
    signature = crypto.sign(
        m.SignDataDetails(
            key_id=ecdsa_key.id, message=b64e(b"message"), signing_algorithm="ECDSA_SHA_256"
        )
    ).data.signature
    aes_ops = _aes_operations(crypto, aes_key, ciphertext, export_pem)
    ecdsa_ops = _ecdsa_operations(crypto, ecdsa_key, signature)
    _all_work(aes_ops)
    _all_work(ecdsa_ops)
    return aes_ops, ecdsa_ops, ciphertext


def test_disabled_keys_refuse_crypto_until_enabled(
    kms: KmsManagementClient,
    crypto: KmsCryptoClient,
    aes_key: m.Key,
    ecdsa_key: m.Key,
    export_pem: str,
) -> None:
    aes_ops, ecdsa_ops, ciphertext = _prepare(crypto, aes_key, ecdsa_key, export_pem)
    kms.disable_key(aes_key.id)
    kms.disable_key(ecdsa_key.id)
    _all_refused(aes_ops, "DISABLED")
    _all_refused(ecdsa_ops, "DISABLED")

    kms.enable_key(aes_key.id)
    kms.enable_key(ecdsa_key.id)
    _all_work(aes_ops)
    _all_work(ecdsa_ops)
    decrypted = crypto.decrypt(m.DecryptDataDetails(key_id=aes_key.id, ciphertext=ciphertext))
    assert b64d(decrypted.data.plaintext) == b"kept"


def test_pending_deletion_keys_refuse_crypto_until_cancelled(
    kms: KmsManagementClient,
    crypto: KmsCryptoClient,
    aes_key: m.Key,
    ecdsa_key: m.Key,
    export_pem: str,
    clock: ManualClock,
) -> None:
    aes_ops, ecdsa_ops, _ = _prepare(crypto, aes_key, ecdsa_key, export_pem)
    details = m.ScheduleKeyDeletionDetails(time_of_deletion=clock.now() + timedelta(days=7))
    kms.schedule_key_deletion(aes_key.id, details)
    kms.schedule_key_deletion(ecdsa_key.id, details)
    _all_refused(aes_ops, "PENDING_DELETION")
    _all_refused(ecdsa_ops, "PENDING_DELETION")

    kms.cancel_key_deletion(aes_key.id)
    kms.cancel_key_deletion(ecdsa_key.id)
    _all_work(aes_ops)
    _all_work(ecdsa_ops)


def test_deleted_keys_refuse_crypto_for_good(
    kms: KmsManagementClient,
    crypto: KmsCryptoClient,
    aes_key: m.Key,
    ecdsa_key: m.Key,
    export_pem: str,
    clock: ManualClock,
) -> None:
    aes_ops, ecdsa_ops, _ = _prepare(crypto, aes_key, ecdsa_key, export_pem)
    details = m.ScheduleKeyDeletionDetails(time_of_deletion=clock.now() + timedelta(days=7))
    kms.schedule_key_deletion(aes_key.id, details)
    kms.schedule_key_deletion(ecdsa_key.id, details)
    clock.advance(timedelta(days=8))
    _all_refused(aes_ops, "DELETED")
    _all_refused(ecdsa_ops, "DELETED")
    service_error(kms.enable_key, aes_key.id, status=409, code="IncorrectState")
    service_error(kms.cancel_key_deletion, ecdsa_key.id, status=409, code="IncorrectState")
