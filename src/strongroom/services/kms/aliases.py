"""Key aliases (the Alibaba KMS API): CreateAlias, UpdateAlias, DeleteAlias, ListAliases,
ListAliasesByKeyId, and resolving a key id that may be an alias.

An alias is a tenancy-wide name for one key (rules in :mod:`strongroom.domain.key_alias`).
Writing one needs KEY_UPDATE on each key involved (UpdateAlias: the key it leaves and the key
it moves to); ListAliasesByKeyId needs KEY_INSPECT on the key, and ListAliases, which lists
the whole tenancy as Alibaba's lists the whole account, KEY_INSPECT in the tenancy. A key
given to these use cases may itself be named by an alias.

A key deleted for good (its own deletion or its vault's, which take effect on time) has no
aliases: they are ignored from that moment (its id is not found, its names are free again)
and their rows purged by the scheduler (:func:`purge_aliases_of_deleted_keys`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from strongroom.domain.errors import Conflict, InvalidParameter, LimitExceeded, NotFound
from strongroom.domain.key import Key
from strongroom.domain.key_alias import (
    MAX_ALIASES_PER_KEY,
    AliasAlreadyExists,
    AliasNotFound,
    KeyAlias,
    check_alias_name,
    is_alias,
)
from strongroom.domain.lifecycle import State, require_state
from strongroom.iam.target import Target
from strongroom.services.authz import authorize
from strongroom.services.caches import complete
from strongroom.services.context import Call
from strongroom.services.lookup import NOT_FOUND, key_as_of, key_in_vault, key_target
from strongroom.services.ports import AliasRows, Deps
from strongroom.storage.unit_of_work import Transaction

__all__ = [
    "MAX_PAGE_SIZE",
    "AliasPage",
    "CreateAliasRequest",
    "DeleteAliasRequest",
    "ListAliasesByKeyIdRequest",
    "ListAliasesRequest",
    "UpdateAliasRequest",
    "create_alias",
    "delete_alias",
    "list_aliases",
    "list_aliases_by_key_id",
    "purge_aliases_of_deleted_keys",
    "resolve_key_id",
    "update_alias",
]

MAX_PAGE_SIZE = 100  # Alibaba's PageSize is 1-100 (10 when not given)
_MAX_PAGE_NUMBER = 2**31 - 1
_MOVED = "The alias was changed by another request; retry"


@dataclass(frozen=True, kw_only=True)
class CreateAliasRequest:
    """Input of CreateAlias: a new name for key ``key_id`` (an OCID, or one of its aliases)."""

    alias_name: str
    key_id: str


@dataclass(frozen=True, kw_only=True)
class UpdateAliasRequest:
    """Input of UpdateAlias: alias ``alias_name`` moves to key ``key_id`` (OCID or alias)."""

    alias_name: str
    key_id: str


@dataclass(frozen=True, kw_only=True)
class DeleteAliasRequest:
    """Input of DeleteAlias."""

    alias_name: str


@dataclass(frozen=True, kw_only=True)
class ListAliasesRequest:
    """Input of ListAliases: one page (numbered from 1) of the tenancy's aliases by name."""

    page_number: int = 1
    page_size: int = 10


@dataclass(frozen=True, kw_only=True)
class ListAliasesByKeyIdRequest:
    """Input of ListAliasesByKeyId: one page of key ``key_id``'s aliases (OCID or alias)."""

    key_id: str
    page_number: int = 1
    page_size: int = 10


@dataclass(frozen=True)
class AliasPage:
    """Result of ListAliases and ListAliasesByKeyId: one page, and how many aliases in all."""

    aliases: list[KeyAlias]
    total_count: int
    page_number: int
    page_size: int


def create_alias(deps: Deps, call: Call, request: CreateAliasRequest) -> KeyAlias:
    """Name a key that is ENABLED or DISABLED (not pending deletion) with a new alias."""
    name = check_alias_name(request.alias_name)
    tenancy_id, now = call.principal.tenancy_id, deps.clock.now()
    with deps.db.transaction() as tx:
        key = _writable_key(deps, tx, call, request.key_id, "CreateAlias")
        _claim_name(deps, tx, tenancy_id, name)
        _require_room(tx, key.id)
        alias = KeyAlias(tenancy_id, name, key.id, now, now)
        tx.key_aliases.add(alias)
    return alias


def update_alias(deps: Deps, call: Call, request: UpdateAliasRequest) -> KeyAlias:
    """Move an alias to another key (ENABLED or DISABLED) in one transaction."""
    name, now = check_alias_name(request.alias_name), deps.clock.now()
    with deps.db.transaction() as tx:
        alias = _live_alias(deps, tx, call.principal.tenancy_id, name)
        _key(deps, tx, call, alias.key_id, "UpdateAlias")
        key = _writable_key(deps, tx, call, request.key_id, "UpdateAlias")
        if key.id == alias.key_id:
            return alias
        _require_room(tx, key.id)
        if not tx.key_aliases.move(alias, key.id, now):
            raise Conflict(_MOVED)
    return replace(alias, key_id=key.id, time_updated=now)


def delete_alias(deps: Deps, call: Call, request: DeleteAliasRequest) -> KeyAlias:
    """Remove an alias; the result is the alias as it was."""
    name = check_alias_name(request.alias_name)
    tenancy_id = call.principal.tenancy_id
    with deps.db.transaction() as tx:
        alias = _live_alias(deps, tx, tenancy_id, name)
        _key(deps, tx, call, alias.key_id, "DeleteAlias")
        tx.key_aliases.delete(tenancy_id, name)
    return alias


def list_aliases(deps: Deps, call: Call, request: ListAliasesRequest) -> AliasPage:
    """The tenancy's aliases by name (KEY_INSPECT in the tenancy)."""
    offset = _offset(request.page_number, request.page_size)
    tenancy_id = call.principal.tenancy_id
    with deps.db.transaction(read_only=True) as tx:
        authorize(deps, call, "ListAliases", Target(tenancy_id, tenancy_id))
        found, total = tx.key_aliases.of_tenancy(
            tenancy_id, deps.clock.now(), offset, request.page_size
        )
    return AliasPage(found, total, request.page_number, request.page_size)


def list_aliases_by_key_id(deps: Deps, call: Call, request: ListAliasesByKeyIdRequest) -> AliasPage:
    """A key's aliases by name (KEY_INSPECT on the key)."""
    offset = _offset(request.page_number, request.page_size)
    with deps.db.transaction(read_only=True) as tx:
        key = _key(deps, tx, call, request.key_id, "ListAliasesByKeyId")
        found, total = tx.key_aliases.of_key(key.id, offset, request.page_size)
    return AliasPage(found, total, request.page_number, request.page_size)


def resolve_key_id(deps: Deps, tenancy_id: str, key_ref: str) -> str:
    """The key id ``key_ref`` stands for: a key OCID (anything not ``alias/...``) as it is; an
    alias of the tenancy, its key's (AliasNotFound if there is none, or its key is deleted).

    Nothing is authorized here: the use case then called with the key authorizes it. Aliases
    come from ``deps.aliases_in_use`` (dropped by this process's writes to aliases and keys,
    re-read every 2 s), so a crypto call naming an alias does not go to storage; where
    blocking is forbidden a miss raises WouldBlock, as the key cache's do.
    """
    if not is_alias(key_ref):
        return key_ref
    rows = deps.aliases_in_use.fetch(
        (tenancy_id, key_ref), lambda: _read_rows(deps, tenancy_id, key_ref), complete
    )
    return _alive(deps, key_ref, rows).key_id


def purge_aliases_of_deleted_keys(deps: Deps) -> int:
    """Remove the aliases of keys deleted for good (a round of the scheduler)."""
    with deps.db.transaction() as tx:
        return tx.key_aliases.purge_of_deleted_keys(deps.clock.now())


def _offset(page_number: int, page_size: int) -> int:
    """Where page ``page_number`` starts (PageNumber from 1, PageSize 1-100)."""
    if not 1 <= page_number <= _MAX_PAGE_NUMBER:
        raise InvalidParameter(f"PageNumber must be between 1 and {_MAX_PAGE_NUMBER}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidParameter(f"PageSize must be between 1 and {MAX_PAGE_SIZE}")
    return (page_number - 1) * page_size


def _key(deps: Deps, tx: Transaction, call: Call, key_ref: str, operation: str) -> Key:
    """The caller's key ``key_ref`` names (OCID or alias), authorized for ``operation``, with
    its state as of now; NotFound if it is not the caller's, or deleted for good."""
    tenancy_id = call.principal.tenancy_id
    key_id = _live_alias(deps, tx, tenancy_id, key_ref).key_id if is_alias(key_ref) else key_ref
    row = tx.keys.get(key_id)
    if row is None or row.tenancy_id != tenancy_id:
        raise NotFound(NOT_FOUND)
    authorize(deps, call, operation, key_target(row))
    key = key_in_vault(deps, row, tx.vaults.get(row.vault_id))[1]
    if key.lifecycle_state is State.DELETED:
        raise NotFound(NOT_FOUND)
    return key


def _writable_key(deps: Deps, tx: Transaction, call: Call, key_ref: str, operation: str) -> Key:
    """:func:`_key`, which must be ENABLED or DISABLED to take an alias."""
    key = _key(deps, tx, call, key_ref, operation)
    require_state(key.lifecycle_state, (State.ENABLED, State.DISABLED), "key")
    return key


def _claim_name(deps: Deps, tx: Transaction, tenancy_id: str, name: str) -> None:
    """AliasAlreadyExists if ``name`` is in use; a deleted key's alias gives it up."""
    rows = _rows_in(tx, tenancy_id, name)
    if rows[0] is None:
        return
    if _is_live(deps, rows):
        raise AliasAlreadyExists(name)
    tx.key_aliases.delete(tenancy_id, name)


def _require_room(tx: Transaction, key_id: str) -> None:
    """LimitExceeded if the key has all the aliases it may have (writers take turns)."""
    tx.key_aliases.lock_key(key_id)
    if tx.key_aliases.count_of_key(key_id) >= MAX_ALIASES_PER_KEY:
        raise LimitExceeded(f"A key has at most {MAX_ALIASES_PER_KEY} aliases")


def _live_alias(deps: Deps, tx: Transaction, tenancy_id: str, name: str) -> KeyAlias:
    return _alive(deps, name, _rows_in(tx, tenancy_id, name))


def _alive(deps: Deps, name: str, rows: AliasRows) -> KeyAlias:
    """The alias of ``rows``; AliasNotFound if there is none, or its key is deleted."""
    if not _is_live(deps, rows):
        raise AliasNotFound(name)
    alias = rows[0]
    assert alias is not None
    return alias


def _is_live(deps: Deps, rows: AliasRows) -> bool:
    alias, key, vault = rows
    if alias is None or key is None or vault is None:
        return False
    return key_as_of(key, vault, deps.clock.now()).lifecycle_state is not State.DELETED


def _read_rows(deps: Deps, tenancy_id: str, name: str) -> AliasRows:
    with deps.db.transaction(read_only=True) as tx:
        return _rows_in(tx, tenancy_id, name)


def _rows_in(tx: Transaction, tenancy_id: str, name: str) -> AliasRows:
    """The alias ``name`` of the tenancy, its key and the key's vault, as stored."""
    alias = tx.key_aliases.get(tenancy_id, name)
    key = None if alias is None else tx.keys.get(alias.key_id)
    vault = None if key is None else tx.vaults.get(key.vault_id)
    return alias, key, vault
