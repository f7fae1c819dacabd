"""Changing keys' freeform tags in place (change_key_tags, for the Alibaba KMS API's tag
actions): merged or removed on the stored row, several keys together or not at all, a
dialect's check on the resulting tags, the states and permission UpdateKey needs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from strongroom.domain.errors import IncorrectState, InvalidParameter, NotAuthorized
from strongroom.domain.key import Key, KeyVersion
from strongroom.domain.tags import FreeformTags
from strongroom.domain.vault import Vault
from strongroom.services.context import Call
from strongroom.services.kms import keys
from strongroom.services.kms.key_places import KeyPlace
from strongroom.services.kms.key_tags import ChangeKeyTagsRequest, TagCheck, change_key_tags
from strongroom.services.ports import Deps
from tests.usecases.identity_support import call_of, grant, new_group, new_user

NewVault = Callable[..., Vault]
NewAesKey = Callable[..., tuple[Key, KeyVersion]]


class Refused(Exception):
    """What the test's check raises."""


def _at_most(count: int) -> TagCheck:
    def check(tags: FreeformTags) -> None:
        if len(tags) > count:
            raise Refused(len(tags))

    return check


def _change(
    deps: Deps,
    call: Call,
    *found: Key,
    merge: FreeformTags | None = None,
    remove: frozenset[str] = frozenset(),
    remove_all: bool = False,
    check: TagCheck | None = None,
) -> list[Key]:
    request = ChangeKeyTagsRequest(
        keys=tuple(KeyPlace(k.vault_id, k.id) for k in found),
        merge=merge or {},
        remove=remove,
        remove_all=remove_all,
        check=check,
    )
    return change_key_tags(deps, call, request)


def _tags(deps: Deps, call: Call, key: Key) -> FreeformTags:
    request = keys.GetKeyRequest(vault_id=key.vault_id, key_id=key.id)
    return keys.get_key(deps, call, request).freeform_tags


def _set(deps: Deps, call: Call, key: Key, tags: FreeformTags) -> None:
    request = keys.UpdateKeyRequest(vault_id=key.vault_id, key_id=key.id, freeform_tags=tags)
    keys.update_key(deps, call, request)


def test_merge_and_remove_keep_the_other_tags(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    _set(deps, admin_call, key, {"a": "1", "b": "2"})
    (changed,) = _change(deps, admin_call, key, merge={"b": "3", "c": "4"})
    assert changed.freeform_tags == _tags(deps, admin_call, key) == {"a": "1", "b": "3", "c": "4"}
    _change(deps, admin_call, key, remove=frozenset({"a", "absent"}))
    assert _tags(deps, admin_call, key) == {"b": "3", "c": "4"}
    _change(deps, admin_call, key, remove_all=True, merge={"only": "me"})
    assert _tags(deps, admin_call, key) == {"only": "me"}


def test_the_check_sees_the_resulting_tags_and_a_refusal_stores_nothing(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    vault = new_vault()
    (first, _), (second, _) = new_aes_key(vault), new_aes_key(vault)
    _set(deps, admin_call, second, {"x": "1", "y": "2"})
    with pytest.raises(Refused):
        _change(deps, admin_call, first, second, merge={"z": "3"}, check=_at_most(2))
    assert _tags(deps, admin_call, first) == {}  # changed before the second was refused
    _change(deps, admin_call, first, second, merge={"y": "9"}, check=_at_most(2))
    assert _tags(deps, admin_call, second) == {"x": "1", "y": "9"}
    # Removing only: the check is not asked (nothing can break a limit).
    _change(deps, admin_call, second, remove=frozenset({"x"}), check=_at_most(0))
    assert _tags(deps, admin_call, second) == {"y": "9"}
    with pytest.raises(InvalidParameter):
        _change(deps, admin_call, first, merge={"nul": "a\x00b"})


def test_disabled_keys_change_and_keys_pending_deletion_do_not(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    keys.disable_key(deps, admin_call, keys.DisableKeyRequest(vault_id=key.vault_id, key_id=key.id))
    _change(deps, admin_call, key, merge={"state": "disabled"})
    request = keys.ScheduleKeyDeletionRequest(vault_id=key.vault_id, key_id=key.id)
    keys.schedule_key_deletion(deps, admin_call, request)
    with pytest.raises(IncorrectState, match="PENDING_DELETION"):
        _change(deps, admin_call, key, merge={"state": "pending"})
    assert _tags(deps, admin_call, key) == {"state": "disabled"}


def test_changing_tags_needs_key_update(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    user = new_user(deps, admin_call)
    group = new_group(deps, admin_call, user)
    grant(deps, admin_call, f"Allow group {group.name} to read keys in tenancy")
    reader = call_of(deps, user)
    with pytest.raises(NotAuthorized):
        _change(deps, reader, key, merge={"a": "b"})
    grant(deps, admin_call, f"Allow group {group.name} to manage keys in tenancy")
    _change(deps, call_of(deps, user), key, merge={"a": "b"})
    assert _tags(deps, admin_call, key) == {"a": "b"}
