"""Key versions: rotation, listing, and scheduled deletion of old versions."""

from __future__ import annotations

from datetime import timedelta

import oci
from oci.key_management import KmsCryptoClient, KmsManagementClient
from oci.key_management import models as m

from tests.clock import ManualClock
from tests.helpers import b64d, b64e
from tests.integration.support import service_error


def _encrypt(crypto: KmsCryptoClient, key: m.Key, data: bytes, **kwargs: object) -> m.EncryptedData:
    details = m.EncryptDataDetails(key_id=key.id, plaintext=b64e(data), **kwargs)
    result: m.EncryptedData = crypto.encrypt(details).data
    return result


def test_rotate_list_and_get_versions(
    kms: KmsManagementClient, crypto: KmsCryptoClient, aes_key: m.Key
) -> None:
    first = aes_key.current_key_version
    created = kms.create_key_version(aes_key.id)
    second = created.data
    assert created.headers.get("etag")
    assert second.id != first
    assert second.key_id == aes_key.id
    assert second.lifecycle_state == "ENABLED"
    assert kms.get_key(aes_key.id).data.current_key_version == second.id

    third = kms.create_key_version(aes_key.id).data
    versions = oci.pagination.list_call_get_all_results(
        kms.list_key_versions, aes_key.id, limit=1
    ).data
    assert sorted(v.id for v in versions) == sorted([first, second.id, third.id])
    assert all(v.key_id == aes_key.id and v.lifecycle_state == "ENABLED" for v in versions)

    old = kms.get_key_version(aes_key.id, first)
    assert old.data.id == first
    assert old.data.lifecycle_state == "ENABLED"
    assert old.headers.get("etag")

    # New encryptions use the new current version; a named old version can still be chosen.
    assert _encrypt(crypto, aes_key, b"new").key_version_id == third.id
    assert _encrypt(crypto, aes_key, b"old", key_version_id=first).key_version_id == first


def test_unknown_version_is_not_found(kms: KmsManagementClient, aes_key: m.Key) -> None:
    missing = "ocid1.keyversion.oc1.us-ashburn-1..aaaaaaaa" + "b" * 53
    service_error(
        kms.get_key_version, aes_key.id, missing, status=404, code="NotAuthorizedOrNotFound"
    )


def test_version_of_another_key_is_not_found(
    kms: KmsManagementClient, aes_key: m.Key, rsa_key: m.Key
) -> None:
    service_error(kms.get_key_version, aes_key.id, rsa_key.current_key_version, status=404)


def test_decrypt_after_rotation_needs_no_version(
    kms: KmsManagementClient, crypto: KmsCryptoClient, aes_key: m.Key
) -> None:
    before = _encrypt(crypto, aes_key, b"written before rotation", associated_data={"ctx": "1"})
    new_version = kms.create_key_version(aes_key.id).data
    decrypted = crypto.decrypt(
        m.DecryptDataDetails(
            key_id=aes_key.id, ciphertext=before.ciphertext, associated_data={"ctx": "1"}
        )
    ).data
    assert b64d(decrypted.plaintext) == b"written before rotation"
    assert decrypted.key_version_id == aes_key.current_key_version
    assert decrypted.key_version_id != new_version.id


def test_schedule_and_cancel_version_deletion(
    kms: KmsManagementClient, crypto: KmsCryptoClient, aes_key: m.Key, clock: ManualClock
) -> None:
    old = aes_key.current_key_version
    ciphertext = _encrypt(crypto, aes_key, b"under the old version").ciphertext

    # The current version cannot be scheduled for deletion.
    when = clock.now() + timedelta(days=8)
    details = m.ScheduleKeyVersionDeletionDetails(time_of_deletion=when)
    service_error(kms.schedule_key_version_deletion, aes_key.id, old, details, status=409)
    assert kms.get_key_version(aes_key.id, old).data.lifecycle_state == "ENABLED"

    current = kms.create_key_version(aes_key.id).data
    service_error(
        kms.schedule_key_version_deletion,
        aes_key.id,
        old,
        m.ScheduleKeyVersionDeletionDetails(time_of_deletion=clock.now() + timedelta(days=2)),
        status=400,
        code="InvalidParameter",
    )
    pending = kms.schedule_key_version_deletion(aes_key.id, old, details).data
    assert pending.lifecycle_state == "PENDING_DELETION"
    assert pending.time_of_deletion == when
    listed = {v.id: v for v in kms.list_key_versions(aes_key.id).data}
    assert listed[old].lifecycle_state == "PENDING_DELETION"
    assert listed[current.id].lifecycle_state == "ENABLED"

    # A pending version decrypts nothing, and cannot be chosen for encryption.
    decrypt = m.DecryptDataDetails(key_id=aes_key.id, ciphertext=ciphertext)
    service_error(crypto.decrypt, decrypt, status=409, code="IncorrectState")
    service_error(
        crypto.encrypt,
        m.EncryptDataDetails(key_id=aes_key.id, plaintext=b64e(b"x"), key_version_id=old),
        status=409,
        code="IncorrectState",
    )
    # The key itself still works with its current version.
    assert _encrypt(crypto, aes_key, b"fine").key_version_id == current.id

    restored = kms.cancel_key_version_deletion(aes_key.id, old).data
    assert restored.lifecycle_state == "ENABLED"
    assert restored.time_of_deletion is None
    assert b64d(crypto.decrypt(decrypt).data.plaintext) == b"under the old version"
    service_error(
        kms.cancel_key_version_deletion, aes_key.id, old, status=409, code="IncorrectState"
    )

    # Scheduled again and left to expire, the version is gone for good.
    kms.schedule_key_version_deletion(aes_key.id, old, m.ScheduleKeyVersionDeletionDetails())
    clock.advance(timedelta(days=31))
    assert kms.get_key_version(aes_key.id, old).data.lifecycle_state == "DELETED"
    service_error(crypto.decrypt, decrypt, status=409, code="IncorrectState")
    service_error(kms.cancel_key_version_deletion, aes_key.id, old, status=409)
    assert kms.get_key(aes_key.id).data.lifecycle_state == "ENABLED"


def test_disabled_key_cannot_rotate(kms: KmsManagementClient, aes_key: m.Key) -> None:
    kms.disable_key(aes_key.id)
    service_error(kms.create_key_version, aes_key.id, status=409, code="IncorrectState")
    assert len(kms.list_key_versions(aes_key.id).data) == 1
    kms.enable_key(aes_key.id)
    kms.create_key_version(aes_key.id)
    assert len(kms.list_key_versions(aes_key.id).data) == 2
