"""Deletion protection of keys through the use cases: while it is on, ScheduleKeyDeletion (the
use case every API calls) is refused with the description; the key named by its resource ARN
(this region, the caller's tenancy); a manage permission to turn it on or off."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from strongroom.domain.errors import (
    DeletionProtected,
    IncorrectState,
    InvalidParameter,
    NotFound,
)
from strongroom.domain.key import Key, KeyVersion
from strongroom.domain.lifecycle import State
from strongroom.domain.vault import Vault
from strongroom.services.context import Call
from strongroom.services.kms import keys
from strongroom.services.kms.key_protection import (
    SetDeletionProtectionRequest,
    set_deletion_protection,
)
from strongroom.services.ports import Deps
from tests.usecases.identity_support import call_of, grant, new_group, new_user

NewVault = Callable[..., Vault]
NewAesKey = Callable[..., tuple[Key, KeyVersion]]


def _protect(
    deps: Deps, call: Call, key: Key, enabled: bool = True, description: str | None = None
) -> Key:
    request = SetDeletionProtectionRequest(key.id, enabled, description)
    return set_deletion_protection(deps, call, request)


def _schedule(deps: Deps, call: Call, key: Key) -> Key:
    request = keys.ScheduleKeyDeletionRequest(vault_id=key.vault_id, key_id=key.id)
    return keys.schedule_key_deletion(deps, call, request)


def _get(deps: Deps, call: Call, key: Key) -> Key:
    return keys.get_key(deps, call, keys.GetKeyRequest(vault_id=key.vault_id, key_id=key.id))


def _arn(deps: Deps, call: Call, key: Key) -> str:
    return f"acs:kms:{deps.region}:{call.principal.tenancy_id}:key/{key.id}"


def test_a_protected_key_is_not_scheduled_for_deletion_until_protection_is_off(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    _protect(deps, admin_call, key, description="holds the payroll database")

    shown = _get(deps, admin_call, key)
    assert shown.deletion_protection is True
    assert shown.deletion_protection_description == "holds the payroll database"
    expected = (
        f"Key {key.id} has deletion protection on (holds the payroll database); turn it off first"
    )
    with pytest.raises(DeletionProtected) as refused:
        _schedule(deps, admin_call, key)
    assert isinstance(refused.value, IncorrectState)  # OCI: 409 IncorrectState
    assert refused.value.message == expected
    assert _get(deps, admin_call, key).lifecycle_state is State.ENABLED

    off = _protect(deps, admin_call, key, enabled=False, description="ignored when off")
    assert (off.deletion_protection, off.deletion_protection_description) == (False, None)
    assert _schedule(deps, admin_call, key).lifecycle_state is State.PENDING_DELETION


def test_protection_without_a_description_says_so_plainly(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    _protect(deps, admin_call, key, description="")
    assert _get(deps, admin_call, key).deletion_protection_description is None
    with pytest.raises(DeletionProtected, match=r"protection on; turn it off first$"):
        _schedule(deps, admin_call, key)


def test_setting_what_is_set_writes_nothing(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    first = _protect(deps, admin_call, key, description="keep")
    again = _protect(deps, admin_call, key, description="keep")
    assert again.version == first.version  # same etag
    changed = _protect(deps, admin_call, key, description="keep it")
    assert changed.version == first.version + 1


def test_an_over_long_description_is_refused(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    with pytest.raises(InvalidParameter, match="at most 256 characters"):
        _protect(deps, admin_call, key, description="x" * 257)
    assert _get(deps, admin_call, key).deletion_protection is False


def test_a_key_pending_deletion_takes_no_protection(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    _schedule(deps, admin_call, key)
    with pytest.raises(IncorrectState, match="PENDING_DELETION"):
        _protect(deps, admin_call, key)


def test_the_key_is_named_by_its_resource_arn(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    request = SetDeletionProtectionRequest.for_arn(_arn(deps, admin_call, key), True, "by arn")
    assert set_deletion_protection(deps, admin_call, request).deletion_protection is True
    assert _get(deps, admin_call, key).deletion_protection_description == "by arn"


@pytest.mark.parametrize(
    "shape",
    [
        "",
        "key/{key}",
        "acs:kms:{region}:{tenancy}:{key}",
        "acs:ecs:{region}:{tenancy}:key/{key}",
        "acs:kms::{tenancy}:key/{key}",
        "acs:kms:{region}:{key}:key/{key}",
        "acs:kms:{region}:{tenancy}:secret/{key}",
        "acs:kms:{region}:{tenancy}:key/{tenancy}",
        "acs:kms:{region}:{tenancy}:key/{key}:extra",
    ],
)
def test_a_malformed_arn_is_refused(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey, shape: str
) -> None:
    key, _ = new_aes_key(new_vault())
    tenancy = admin_call.principal.tenancy_id
    arn = shape.format(region=deps.region, tenancy=tenancy, key=key.id)
    with pytest.raises(InvalidParameter, match="ProtectedResourceArn must"):
        SetDeletionProtectionRequest.for_arn(arn, True)


def test_an_arn_of_another_region_is_refused(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    arn = f"acs:kms:eu-elsewhere-1:{admin_call.principal.tenancy_id}:key/{key.id}"
    request = SetDeletionProtectionRequest.for_arn(arn, True)
    with pytest.raises(InvalidParameter, match=f"this is region {deps.region}"):
        set_deletion_protection(deps, admin_call, request)
    assert _get(deps, admin_call, key).deletion_protection is False


def test_an_arn_of_another_tenancy_is_not_found(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    other = "ocid1.tenancy.oc1..aaaaaaaaotherotherotherotherotherother"
    request = SetDeletionProtectionRequest.for_arn(
        f"acs:kms:{deps.region}:{other}:key/{key.id}", True
    )
    with pytest.raises(NotFound):
        set_deletion_protection(deps, admin_call, request)
    assert _get(deps, admin_call, key).deletion_protection is False


def test_turning_protection_on_or_off_needs_a_manage_permission(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    readers, managers = new_user(deps, admin_call), new_user(deps, admin_call)
    grant(
        deps,
        admin_call,
        f"Allow group {new_group(deps, admin_call, readers).name} to use keys in tenancy",
    )
    grant(
        deps,
        admin_call,
        f"Allow group {new_group(deps, admin_call, managers).name} to manage keys in tenancy",
    )
    reader, manager = call_of(deps, readers), call_of(deps, managers)

    with pytest.raises(NotFound):
        _protect(deps, reader, key)
    _protect(deps, manager, key, description="managed")
    with pytest.raises(NotFound):
        _protect(deps, reader, key, enabled=False)
    assert _get(deps, admin_call, key).deletion_protection is True
    assert _protect(deps, manager, key, enabled=False).deletion_protection is False
