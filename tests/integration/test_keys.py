"""Key life cycle through the official SDK's KmsManagementClient."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import oci
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from oci.key_management import KmsCryptoClient, KmsManagementClient, KmsVaultClient
from oci.key_management import models as m

from tests.clock import ManualClock
from tests.helpers import b64e
from tests.integration import support
from tests.integration.support import Raw, service_error

CURVES = {"NIST_P256": ec.SECP256R1, "NIST_P384": ec.SECP384R1, "NIST_P521": ec.SECP521R1}


@pytest.mark.parametrize(
    ("algorithm", "length", "curve"),
    [
        ("AES", 16, None),
        ("AES", 24, None),
        ("AES", 32, None),
        ("RSA", 256, None),
        ("RSA", 384, None),
        ("ECDSA", 32, "NIST_P256"),
        ("ECDSA", 48, "NIST_P384"),
        ("ECDSA", 66, "NIST_P521"),
    ],
)
def test_create_key_shapes(
    shared_kms: KmsManagementClient,
    tenancy: str,
    shared_vault: m.Vault,
    algorithm: str,
    length: int,
    curve: str | None,
) -> None:
    name = f"{algorithm}-{length}-{uuid.uuid4().hex[:6]}"
    details = support.key_details(tenancy, algorithm, length, curve=curve, name=name)
    created = shared_kms.create_key(details)
    key = created.data
    assert created.headers.get("etag")
    assert key.id.startswith("ocid1.key.oc1.")
    assert key.display_name == name
    assert key.vault_id == shared_vault.id
    assert key.compartment_id == tenancy
    assert key.lifecycle_state == "ENABLED"
    assert key.protection_mode == "SOFTWARE"
    assert key.key_shape.algorithm == algorithm
    assert key.key_shape.length == length
    assert key.key_shape.curve_id == curve
    assert key.current_key_version.startswith("ocid1.keyversion.")

    fetched = shared_kms.get_key(key.id).data
    assert fetched.id == key.id
    assert fetched.current_key_version == key.current_key_version
    assert fetched.key_shape.length == length

    version = shared_kms.get_key_version(key.id, key.current_key_version).data
    assert version.key_id == key.id
    assert version.vault_id == shared_vault.id
    assert version.lifecycle_state == "ENABLED"
    assert version.origin == "INTERNAL"
    if algorithm == "AES":
        assert version.public_key is None
        return
    public = serialization.load_pem_public_key(version.public_key.encode())
    if algorithm == "RSA":
        assert isinstance(public, rsa.RSAPublicKey)
        assert public.key_size == length * 8
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        assert isinstance(public.curve, CURVES[str(curve)])


def test_create_rsa_4096_key(shared_kms: KmsManagementClient, tenancy: str) -> None:
    """The largest shape, once (its key generation is the slowest thing in the suite)."""
    key = support.new_key(shared_kms, tenancy, "RSA", 512)
    version = shared_kms.get_key_version(key.id, key.current_key_version).data
    public = serialization.load_pem_public_key(version.public_key.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 4096


def test_ecdsa_curve_defaults_from_length(shared_kms: KmsManagementClient, tenancy: str) -> None:
    key = shared_kms.create_key(support.key_details(tenancy, "ECDSA", 48)).data
    assert key.key_shape.curve_id == "NIST_P384"


@pytest.mark.parametrize(
    ("algorithm", "length", "curve"),
    [("AES", 64, None), ("RSA", 128, None), ("ECDSA", 32, "NIST_P384"), ("AES", 32, "NIST_P256")],
)
def test_invalid_key_shapes_are_refused(
    kms: KmsManagementClient,
    raw: Raw,
    vault: m.Vault,
    tenancy: str,
    algorithm: str,
    length: int,
    curve: str | None,
) -> None:
    details = support.key_details(tenancy, algorithm, length, curve=curve)
    service_error(kms.create_key, details, status=400, code="InvalidParameter")
    assert raw.count_keys(vault) == 0


def test_hsm_protection_is_refused_without_an_hsm(
    kms: KmsManagementClient, raw: Raw, vault: m.Vault, tenancy: str
) -> None:
    details = support.key_details(tenancy, "AES", 32, protection_mode="HSM")
    error = service_error(kms.create_key, details, status=400, code="InvalidParameter")
    assert "HSM" in error.message
    assert raw.count_keys(vault) == 0

    # Without a protection mode, a server with no HSM makes SOFTWARE keys.
    default = kms.create_key(support.key_details(tenancy, "AES", 32, protection_mode=None)).data
    assert default.protection_mode == "SOFTWARE"


def test_external_protection_is_refused_in_a_default_vault(
    kms: KmsManagementClient, raw: Raw, vault: m.Vault, tenancy: str
) -> None:
    details = support.key_details(tenancy, "AES", 32, protection_mode="EXTERNAL")
    service_error(kms.create_key, details, status=400, code="InvalidParameter")
    assert raw.count_keys(vault) == 0


def test_list_keys_with_filters(kms: KmsManagementClient, tenancy: str) -> None:
    made = {
        "aes32": support.new_key(kms, tenancy, "AES", 32),
        "aes16": support.new_key(kms, tenancy, "AES", 16),
        "rsa": support.new_key(kms, tenancy, "RSA", 256),
        "ec": support.new_key(kms, tenancy, "ECDSA", 32, "NIST_P256"),
    }

    def ids(**filters: Any) -> set[str]:
        found = oci.pagination.list_call_get_all_results(
            kms.list_keys, tenancy, limit=1, **filters
        ).data
        return {k.id for k in found}

    assert ids() == {k.id for k in made.values()}
    assert ids(algorithm="AES") == {made["aes32"].id, made["aes16"].id}
    assert ids(algorithm="RSA") == {made["rsa"].id}
    assert ids(algorithm="ECDSA") == {made["ec"].id}
    assert ids(protection_mode="SOFTWARE") == {k.id for k in made.values()}
    assert ids(protection_mode="HSM") == set()
    assert ids(algorithm="AES", length=16) == {made["aes16"].id}
    assert ids(curve_id="NIST_P256") == {made["ec"].id}

    summaries = {k.id: k for k in kms.list_keys(tenancy, limit=10).data}
    assert summaries[made["rsa"].id].algorithm == "RSA"
    assert summaries[made["rsa"].id].protection_mode == "SOFTWARE"
    assert summaries[made["rsa"].id].lifecycle_state == "ENABLED"


def test_keys_are_scoped_to_their_vault(
    kms: KmsManagementClient,
    vault_client: KmsVaultClient,
    oci_config: dict[str, Any],
    tenancy: str,
    aes_key: m.Key,
) -> None:
    other = support.new_vault(vault_client, tenancy, "other")
    other_kms = support.management_client(oci_config, other)
    assert other_kms.list_keys(tenancy).data == []
    service_error(other_kms.get_key, aes_key.id, status=404, code="NotAuthorizedOrNotFound")
    service_error(other_kms.disable_key, aes_key.id, status=404)
    assert kms.get_key(aes_key.id).data.lifecycle_state == "ENABLED"


def test_update_key(kms: KmsManagementClient, aes_key: m.Key) -> None:
    before = kms.get_key(aes_key.id)
    updated = kms.update_key(
        aes_key.id, m.UpdateKeyDetails(display_name="renamed", freeform_tags={"k": "v"})
    )
    assert updated.data.display_name == "renamed"
    assert updated.data.freeform_tags == {"k": "v"}
    assert updated.headers["etag"] != before.headers["etag"]
    fetched = kms.get_key(aes_key.id).data
    assert fetched.display_name == "renamed"
    assert fetched.freeform_tags == {"k": "v"}
    assert fetched.current_key_version == aes_key.current_key_version


def test_enable_and_disable(
    kms: KmsManagementClient, crypto: KmsCryptoClient, aes_key: m.Key
) -> None:
    disabled = kms.disable_key(aes_key.id).data
    assert disabled.lifecycle_state == "DISABLED"
    assert kms.get_key(aes_key.id).data.lifecycle_state == "DISABLED"
    # Repeating is accepted, as an idempotent action.
    assert kms.disable_key(aes_key.id).data.lifecycle_state == "DISABLED"
    # A disabled key may still be renamed.
    kms.update_key(aes_key.id, m.UpdateKeyDetails(display_name="off"))

    enabled = kms.enable_key(aes_key.id).data
    assert enabled.lifecycle_state == "ENABLED"
    assert enabled.display_name == "off"
    result = crypto.encrypt(m.EncryptDataDetails(key_id=aes_key.id, plaintext=b64e(b"ok"))).data
    assert result.key_id == aes_key.id


def test_schedule_and_cancel_key_deletion(
    kms: KmsManagementClient, aes_key: m.Key, clock: ManualClock
) -> None:
    now = clock.now()
    for days in (3, 45):
        service_error(
            kms.schedule_key_deletion,
            aes_key.id,
            m.ScheduleKeyDeletionDetails(time_of_deletion=now + timedelta(days=days)),
            status=400,
            code="InvalidParameter",
        )
    assert kms.get_key(aes_key.id).data.lifecycle_state == "ENABLED"

    when = now + timedelta(days=10)
    pending = kms.schedule_key_deletion(
        aes_key.id, m.ScheduleKeyDeletionDetails(time_of_deletion=when)
    ).data
    assert pending.lifecycle_state == "PENDING_DELETION"
    assert pending.time_of_deletion == when
    service_error(kms.enable_key, aes_key.id, status=409, code="IncorrectState")
    service_error(kms.disable_key, aes_key.id, status=409, code="IncorrectState")

    cancelled = kms.cancel_key_deletion(aes_key.id).data
    assert cancelled.lifecycle_state == "ENABLED"
    assert cancelled.time_of_deletion is None
    service_error(kms.cancel_key_deletion, aes_key.id, status=409, code="IncorrectState")

    # A disabled key can be scheduled too; cancelling brings it back ENABLED (as OCI does).
    kms.disable_key(aes_key.id)
    kms.schedule_key_deletion(aes_key.id, m.ScheduleKeyDeletionDetails(time_of_deletion=when))
    assert kms.cancel_key_deletion(aes_key.id).data.lifecycle_state == "ENABLED"


def test_key_is_deleted_when_its_time_comes(
    kms: KmsManagementClient, tenancy: str, aes_key: m.Key, clock: ManualClock
) -> None:
    kms.schedule_key_deletion(
        aes_key.id, m.ScheduleKeyDeletionDetails(time_of_deletion=clock.now() + timedelta(days=7))
    )
    clock.advance(timedelta(days=7, minutes=1))
    assert kms.get_key(aes_key.id).data.lifecycle_state == "DELETED"
    listed = {k.id: k for k in kms.list_keys(tenancy).data}
    assert listed[aes_key.id].lifecycle_state == "DELETED"
    version = kms.get_key_version(aes_key.id, aes_key.current_key_version).data
    assert version.lifecycle_state == "DELETED"
    service_error(kms.cancel_key_deletion, aes_key.id, status=409, code="IncorrectState")
    service_error(kms.enable_key, aes_key.id, status=409, code="IncorrectState")
    service_error(
        kms.update_key,
        aes_key.id,
        m.UpdateKeyDetails(display_name="zombie"),
        status=409,
        code="IncorrectState",
    )
