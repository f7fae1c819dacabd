"""SetDeletionProtection: while a key's deletion protection is on, scheduling its deletion is
refused through every API (``keys.schedule_key_deletion`` checks it) until it is turned off."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.deletion_protection import check_description, parse_key_arn
from strongroom.domain.errors import InvalidParameter, NotFound
from strongroom.domain.key import Key
from strongroom.domain.lifecycle import State, require_state
from strongroom.services.context import Call
from strongroom.services.lookup import NOT_FOUND, key_by_id
from strongroom.services.ports import Deps

__all__ = ["SetDeletionProtectionRequest", "set_deletion_protection"]


@dataclass(frozen=True)
class SetDeletionProtectionRequest:
    """Input of SetDeletionProtection: protection on (``description``, optional, is shown in
    the refusals) or off (the description is dropped). ``region`` and ``tenancy_id``, when
    given (what a resource ARN names: :meth:`for_arn`), must be this region and the caller's
    tenancy."""

    key_id: str
    enabled: bool
    description: str | None = None
    region: str | None = None
    tenancy_id: str | None = None

    @classmethod
    def for_arn(
        cls, arn: str, enabled: bool, description: str | None = None
    ) -> SetDeletionProtectionRequest:
        """The request for the key ``acs:kms:<region>:<tenancy OCID>:key/<key OCID>`` names;
        InvalidParameter when ``arn`` is not a key's ARN."""
        named = parse_key_arn(arn)
        return cls(named.key_id, enabled, description, named.region, named.tenancy_id)


def set_deletion_protection(deps: Deps, call: Call, request: SetDeletionProtectionRequest) -> Key:
    """Turn a key's deletion protection on or off; the key must be ENABLED or DISABLED.

    Either way the caller needs KEY_UPDATE on the key (``manage keys``, as UpdateKey; an
    Alibaba administrator's ``Set*``). Not KEY_DELETE for turning it off: protection guards
    against deleting a key by mistake, and whoever then deletes it still needs KEY_DELETE; one
    permission for both directions lets a policy withhold the operation as a whole (``where
    request.operation != 'SetDeletionProtection'``). Setting what is already set changes
    nothing (no write, same etag).
    """
    description = check_description(request.description) if request.enabled else None
    _check_scope(deps, call, request)
    with deps.db.transaction() as tx:
        key = key_by_id(deps, tx, call, request.key_id, "SetDeletionProtection")
        require_state(key.lifecycle_state, (State.ENABLED, State.DISABLED), "key")
        wanted = (request.enabled, description)
        if (key.deletion_protection, key.deletion_protection_description) != wanted:
            key.deletion_protection, key.deletion_protection_description = wanted
            tx.keys.save(key)
    return key


def _check_scope(deps: Deps, call: Call, request: SetDeletionProtectionRequest) -> None:
    """A named region must be this one (InvalidParameter); a named tenancy the caller's
    (NotFound, as for any resource the caller may not see)."""
    if request.region is not None and request.region != deps.region:
        raise InvalidParameter(
            f"ProtectedResourceArn names region {request.region}; this is region {deps.region}"
        )
    if request.tenancy_id is not None and request.tenancy_id != call.principal.tenancy_id:
        raise NotFound(NOT_FOUND)
