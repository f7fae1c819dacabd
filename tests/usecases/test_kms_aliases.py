"""Key aliases through the use cases (the Alibaba KMS API's CreateAlias, UpdateAlias,
DeleteAlias, ListAliases, ListAliasesByKeyId, and a KeyId given as an alias): Alibaba's name
rules, one name per tenancy, five per key, keys that may take one, who may do what."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest

from strongroom.domain.errors import (
    IncorrectState,
    InvalidParameter,
    LimitExceeded,
    NotAuthorized,
    NotFound,
)
from strongroom.domain.key import Key, KeyVersion
from strongroom.domain.key_alias import AliasAlreadyExists, AliasNotFound, KeyAlias
from strongroom.domain.vault import Vault
from strongroom.services.context import Call
from strongroom.services.identity.bootstrap import ensure_tenancy, new_admin_identity
from strongroom.services.kms import aliases, keys
from strongroom.services.kms.aliases import (
    CreateAliasRequest,
    DeleteAliasRequest,
    ListAliasesByKeyIdRequest,
    ListAliasesRequest,
    UpdateAliasRequest,
)
from strongroom.services.ports import Deps
from tests.clock import ManualClock
from tests.usecases import support
from tests.usecases.identity_support import api_key_pem, call_of, grant, new_group, new_user

NewVault = Callable[..., Vault]
NewAesKey = Callable[..., tuple[Key, KeyVersion]]


def _name(prefix: str = "alias/test") -> str:
    """An alias name no other test of the module uses (they share one database)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _create(deps: Deps, call: Call, name: str, key_id: str) -> KeyAlias:
    return aliases.create_alias(deps, call, CreateAliasRequest(alias_name=name, key_id=key_id))


def _update(deps: Deps, call: Call, name: str, key_id: str) -> KeyAlias:
    return aliases.update_alias(deps, call, UpdateAliasRequest(alias_name=name, key_id=key_id))


def _delete(deps: Deps, call: Call, name: str) -> KeyAlias:
    return aliases.delete_alias(deps, call, DeleteAliasRequest(alias_name=name))


def _names_of(deps: Deps, call: Call, key_id: str) -> list[str]:
    request = ListAliasesByKeyIdRequest(key_id=key_id, page_size=100)
    return [a.name for a in aliases.list_aliases_by_key_id(deps, call, request).aliases]


def _tenancy_names(deps: Deps, call: Call) -> set[str]:
    """Every alias of the caller's tenancy, page by page."""
    found: set[str] = set()
    number = 1
    while True:
        request = ListAliasesRequest(page_number=number, page_size=100)
        page = aliases.list_aliases(deps, call, request)
        found |= {a.name for a in page.aliases}
        if number * 100 >= page.total_count:
            assert len(found) == page.total_count
            return found
        number += 1


def _schedule_deletion(deps: Deps, call: Call, key: Key) -> Key:
    request = keys.ScheduleKeyDeletionRequest(vault_id=key.vault_id, key_id=key.id)
    return keys.schedule_key_deletion(deps, call, request)


# --- create, list, update, delete, resolve ------------------------------------------------------


def test_aliases_are_created_listed_by_key_and_in_the_tenancy(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    vault = new_vault()
    (one, _), (two, _) = new_aes_key(vault), new_aes_key(vault)
    b, a, c = _name("alias/b"), _name("alias/a"), _name("alias/c")
    for name, key in ((b, one), (a, one), (c, two)):
        alias = _create(deps, admin_call, name, key.id)
        assert (alias.name, alias.key_id) == (name, key.id)
        assert alias.tenancy_id == admin_call.principal.tenancy_id
    assert _names_of(deps, admin_call, one.id) == [a, b]  # by name
    assert _names_of(deps, admin_call, two.id) == [c]
    assert {a, b, c} <= _tenancy_names(deps, admin_call)


def test_listings_are_paged_with_the_total_count(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    names = sorted(_create(deps, admin_call, _name(), key.id).name for _ in range(3))
    request = ListAliasesByKeyIdRequest(key_id=key.id, page_number=2, page_size=2)
    page = aliases.list_aliases_by_key_id(deps, admin_call, request)
    assert ([a.name for a in page.aliases], page.total_count) == ([names[2]], 3)
    assert (page.page_number, page.page_size) == (2, 2)
    first = aliases.list_aliases_by_key_id(
        deps, admin_call, ListAliasesByKeyIdRequest(key_id=key.id)
    )
    assert (len(first.aliases), first.page_size) == (3, 10)  # Alibaba's default PageSize


@pytest.mark.parametrize(("number", "size"), [(0, 10), (-1, 10), (1, 0), (1, 101), (2**31, 10)])
def test_page_numbers_from_1_and_page_sizes_of_1_to_100(
    deps: Deps, admin_call: Call, number: int, size: int
) -> None:
    with pytest.raises(InvalidParameter, match="Page"):
        aliases.list_aliases(
            deps, admin_call, ListAliasesRequest(page_number=number, page_size=size)
        )


def test_update_moves_an_alias_to_another_key(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    vault = new_vault()
    (old, _), (new, _) = new_aes_key(vault), new_aes_key(vault)
    name = _create(deps, admin_call, _name(), old.id).name
    tenancy = admin_call.principal.tenancy_id
    assert aliases.resolve_key_id(deps, tenancy, name) == old.id
    moved = _update(deps, admin_call, name, new.id)
    assert (moved.name, moved.key_id) == (name, new.id)
    assert _names_of(deps, admin_call, old.id) == []
    assert _names_of(deps, admin_call, new.id) == [name]
    assert aliases.resolve_key_id(deps, tenancy, name) == new.id  # the cached one was dropped
    assert _update(deps, admin_call, name, new.id) == moved  # to the same key: nothing to do


def test_delete_removes_the_alias_and_frees_its_name(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    name = _create(deps, admin_call, _name(), key.id).name
    assert _delete(deps, admin_call, name).key_id == key.id
    assert _names_of(deps, admin_call, key.id) == []
    with pytest.raises(AliasNotFound):
        aliases.resolve_key_id(deps, admin_call.principal.tenancy_id, name)
    with pytest.raises(AliasNotFound):
        _delete(deps, admin_call, name)
    with pytest.raises(AliasNotFound):
        _update(deps, admin_call, name, key.id)
    assert _create(deps, admin_call, name, key.id).key_id == key.id


def test_resolve_passes_ocids_through_and_looks_aliases_up(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    tenancy = admin_call.principal.tenancy_id
    assert aliases.resolve_key_id(deps, tenancy, key.id) == key.id
    assert aliases.resolve_key_id(deps, tenancy, "ocid1.key.unknown") == "ocid1.key.unknown"
    name = _create(deps, admin_call, _name(), key.id).name
    assert aliases.resolve_key_id(deps, tenancy, name) == key.id
    assert aliases.resolve_key_id(deps, tenancy, name) == key.id  # from the cache
    with pytest.raises(AliasNotFound):
        aliases.resolve_key_id(deps, tenancy, _name())


def test_a_key_may_be_named_by_its_alias(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    first = _create(deps, admin_call, _name(), key.id).name
    second = _create(deps, admin_call, _name(), first)
    assert second.key_id == key.id
    assert _names_of(deps, admin_call, first) == sorted([first, second.name])
    with pytest.raises(AliasNotFound):
        _create(deps, admin_call, _name(), _name())


# --- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("my-key", "must start with alias/"),
        ("Alias/my-key", "must start with alias/"),
        ("alias/", "one or more letters"),
        ("alias/my key", "one or more letters"),
        ("alias/key.1", "one or more letters"),
        ("alias/clé", "one or more letters"),
        ("alias/x\n", "one or more letters"),
        ("alias/" + "a" * 250, "at most 255"),
        ("alias/acs/my-key", "reserved"),
    ],
)
def test_names_outside_alibabas_rules_are_refused(
    deps: Deps,
    admin_call: Call,
    new_vault: NewVault,
    new_aes_key: NewAesKey,
    name: str,
    why: str,
) -> None:
    key, _ = new_aes_key(new_vault())
    with pytest.raises(InvalidParameter, match=why):
        _create(deps, admin_call, name, key.id)
    assert _names_of(deps, admin_call, key.id) == []


def test_names_of_255_characters_with_every_allowed_character_are_accepted(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    name = _name("alias/Az09_-/acs/")
    longest = name + "x" * (255 - len(name))
    assert _create(deps, admin_call, longest, key.id).name == longest
    assert aliases.resolve_key_id(deps, admin_call.principal.tenancy_id, longest) == key.id


def test_a_name_in_use_is_refused_whichever_key_asks(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    vault = new_vault()
    (one, _), (two, _) = new_aes_key(vault), new_aes_key(vault)
    name = _create(deps, admin_call, _name(), one.id).name
    for key in (one, two):
        with pytest.raises(AliasAlreadyExists, match="already exists"):
            _create(deps, admin_call, name, key.id)
    assert _names_of(deps, admin_call, two.id) == []


def test_names_are_compared_exactly(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    name = _name("alias/Case")
    _create(deps, admin_call, name, key.id)
    assert _create(deps, admin_call, name.lower(), key.id).name == name.lower()


# --- keys that may take an alias ------------------------------------------------------------------


def test_an_unknown_key_is_not_found(deps: Deps, admin_call: Call) -> None:
    with pytest.raises(NotFound):
        _create(deps, admin_call, _name(), "ocid1.key.oc1..unknown")
    with pytest.raises(NotFound):
        aliases.list_aliases_by_key_id(
            deps, admin_call, ListAliasesByKeyIdRequest(key_id="ocid1.key.oc1..unknown")
        )


def test_another_tenancys_keys_and_aliases_are_not_seen(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    name = _create(deps, admin_call, _name(), key.id).name
    other_admin = new_admin_identity(deps, _name("tenancy"), _name("admin"), api_key_pem())
    ensure_tenancy(deps, other_admin)
    other = support.admin_call(deps, other_admin)
    with pytest.raises(NotFound):
        _create(deps, other, _name(), key.id)
    with pytest.raises(NotFound):
        aliases.list_aliases_by_key_id(deps, other, ListAliasesByKeyIdRequest(key_id=key.id))
    for attempt in (
        lambda: _delete(deps, other, name),
        lambda: _create(deps, other, _name(), name),
    ):
        with pytest.raises(AliasNotFound):
            attempt()
    assert name not in _tenancy_names(deps, other)
    # The same name is free in the other tenancy, and means its own key there.
    own, _ = support.new_aes_key(deps, other, support.new_vault(deps, other))
    assert _create(deps, other, name, own.id).key_id == own.id
    assert aliases.resolve_key_id(deps, other.principal.tenancy_id, name) == own.id
    assert aliases.resolve_key_id(deps, admin_call.principal.tenancy_id, name) == key.id


def test_a_key_pending_deletion_takes_no_alias_but_may_lose_one(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    vault = new_vault()
    (doomed, _), (other, _) = new_aes_key(vault), new_aes_key(vault)
    kept, moved, other_name = _name(), _name(), _name()
    for name in (kept, moved):
        _create(deps, admin_call, name, doomed.id)
    _create(deps, admin_call, other_name, other.id)
    _schedule_deletion(deps, admin_call, doomed)
    with pytest.raises(IncorrectState, match="PENDING_DELETION"):
        _create(deps, admin_call, _name(), doomed.id)
    with pytest.raises(IncorrectState, match="PENDING_DELETION"):
        _update(deps, admin_call, other_name, doomed.id)
    assert _update(deps, admin_call, moved, other.id).key_id == other.id
    assert _names_of(deps, admin_call, doomed.id) == [kept]
    assert aliases.resolve_key_id(deps, admin_call.principal.tenancy_id, kept) == doomed.id


def test_a_key_deleted_for_good_loses_its_aliases(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    name = _create(deps, admin_call, _name(), key.id).name
    tenancy = admin_call.principal.tenancy_id
    assert aliases.resolve_key_id(deps, tenancy, name) == key.id  # cached now
    deleted_at = _schedule_deletion(deps, admin_call, key).time_of_deletion
    assert deleted_at is not None
    clock.advance(deleted_at - clock.now() + timedelta(seconds=1))
    with pytest.raises(AliasNotFound):
        aliases.resolve_key_id(deps, tenancy, name)
    assert name not in _tenancy_names(deps, admin_call)
    with pytest.raises(NotFound):
        _names_of(deps, admin_call, key.id)
    with pytest.raises(AliasNotFound):
        _delete(deps, admin_call, name)
    assert aliases.purge_aliases_of_deleted_keys(deps) >= 1
    with deps.db.transaction(read_only=True) as tx:
        assert tx.key_aliases.get(tenancy, name) is None
    assert aliases.purge_aliases_of_deleted_keys(deps) == 0


def test_a_deleted_keys_alias_name_may_be_taken_again(
    deps: Deps, admin_call: Call, clock: ManualClock, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    vault = new_vault()
    (gone, _), (live, _) = new_aes_key(vault), new_aes_key(vault)
    name = _create(deps, admin_call, _name(), gone.id).name
    deleted_at = _schedule_deletion(deps, admin_call, gone).time_of_deletion
    assert deleted_at is not None
    clock.advance(deleted_at - clock.now() + timedelta(seconds=1))
    assert _create(deps, admin_call, name, live.id).key_id == live.id  # not purged yet
    assert aliases.resolve_key_id(deps, admin_call.principal.tenancy_id, name) == live.id


def test_a_key_has_at_most_five_aliases(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    vault = new_vault()
    (full, _), (other, _) = new_aes_key(vault), new_aes_key(vault)
    for _ in range(5):
        _create(deps, admin_call, _name(), full.id)
    with pytest.raises(LimitExceeded, match="at most 5 aliases"):
        _create(deps, admin_call, _name(), full.id)
    sixth = _create(deps, admin_call, _name(), other.id).name
    with pytest.raises(LimitExceeded):
        _update(deps, admin_call, sixth, full.id)
    assert aliases.resolve_key_id(deps, admin_call.principal.tenancy_id, sixth) == other.id
    assert len(_names_of(deps, admin_call, full.id)) == 5


# --- authorization --------------------------------------------------------------------------------


def test_inspecting_keys_lists_aliases_but_writing_one_needs_key_update(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    key, _ = new_aes_key(new_vault())
    name = _create(deps, admin_call, _name(), key.id).name
    user = new_user(deps, admin_call)
    stranger = call_of(deps, user)
    with pytest.raises(NotAuthorized):
        aliases.list_aliases(deps, stranger, ListAliasesRequest())
    with pytest.raises(NotAuthorized):
        _names_of(deps, stranger, key.id)
    group = new_group(deps, admin_call, user)
    grant(deps, admin_call, f"Allow group {group.name} to inspect keys in tenancy")
    reader = call_of(deps, user)
    assert name in _tenancy_names(deps, reader)
    assert _names_of(deps, reader, key.id) == [name]
    for attempt in (
        lambda: _create(deps, reader, _name(), key.id),
        lambda: _update(deps, reader, name, key.id),
        lambda: _delete(deps, reader, name),
    ):
        with pytest.raises(NotAuthorized):
            attempt()
    assert _names_of(deps, admin_call, key.id) == [name]


def test_update_needs_key_update_on_both_keys(
    deps: Deps, admin_call: Call, new_vault: NewVault, new_aes_key: NewAesKey
) -> None:
    vault = new_vault()
    (mine, _), (theirs, _) = new_aes_key(vault), new_aes_key(vault)
    on_mine, on_theirs = _name(), _name()
    _create(deps, admin_call, on_mine, mine.id)
    _create(deps, admin_call, on_theirs, theirs.id)
    user = new_user(deps, admin_call)
    group = new_group(deps, admin_call, user)
    grant(
        deps,
        admin_call,
        f"Allow group {group.name} to manage keys in tenancy where target.key.id = '{mine.id}'",
    )
    call = call_of(deps, user)
    with pytest.raises(NotAuthorized):
        _update(deps, call, on_mine, theirs.id)  # may not update the key it moves to
    with pytest.raises(NotAuthorized):
        _update(deps, call, on_theirs, mine.id)  # may not update the key it leaves
    assert _create(deps, call, _name(), mine.id).key_id == mine.id
    assert _delete(deps, call, on_mine).name == on_mine
