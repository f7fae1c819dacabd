"""Changing keys' freeform tags in place: tags added or replaced, or removed, in one
transaction (the Alibaba KMS API's TagResource, UntagResource, TagResources, UntagResources).

OCI's UpdateKey replaces the whole tag map; these APIs change some tags and keep the others.
Reading the tags and writing them back from a dialect would lose a concurrent change, so the
merge is done here, on the row the transaction read. Each key needs what UpdateKey needs
(KEY_UPDATE on it, and the key ENABLED or DISABLED); several keys change together or not at
all. A dialect's own limits (Alibaba's differ from OCI's) are its ``check``, which sees each
key's resulting tags before anything is stored and refuses by raising.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from strongroom.domain.errors import InvalidParameter
from strongroom.domain.key import Key
from strongroom.domain.lifecycle import State, require_state
from strongroom.domain.tags import FreeformTags, no_controls
from strongroom.services.context import Call
from strongroom.services.kms.key_places import KeyPlace
from strongroom.services.lookup import key_for
from strongroom.services.ports import Deps

__all__ = ["ChangeKeyTagsRequest", "TagCheck", "change_key_tags"]

TagCheck = Callable[[FreeformTags], None]
"""A dialect's limits on a key's resulting tags: raises to refuse the change."""


@dataclass(frozen=True, kw_only=True)
class ChangeKeyTagsRequest:
    """Input of a change to the freeform tags of ``keys``: the tags named in ``remove`` go
    (every tag when ``remove_all``), then those of ``merge`` are added or replace a tag of the
    same name. ``check`` sees each key's resulting tags when they change (not when tags are
    only removed: that cannot break a limit the tags kept did not already break)."""

    keys: tuple[KeyPlace, ...]
    merge: FreeformTags = field(default_factory=dict)
    remove: frozenset[str] = frozenset()
    remove_all: bool = False
    check: TagCheck | None = None


def change_key_tags(deps: Deps, call: Call, request: ChangeKeyTagsRequest) -> list[Key]:
    """Change the tags of every key of ``request`` in one transaction (TagResource on each,
    or UntagResource when only removing: KEY_UPDATE, or the key policy's kms:TagResource /
    kms:UntagResource); the keys as stored, in the order given (a key named twice is changed
    once)."""
    operation = "TagResource" if request.merge else "UntagResource"
    for name, value in request.merge.items():
        if not name:
            raise InvalidParameter("Tag keys must not be empty")
        no_controls(name, "tag keys")
        no_controls(value, f"tag {name}")
    changed: dict[str, Key] = {}
    with deps.db.transaction() as tx:
        for place in request.keys:
            if place.key_id in changed:
                continue
            _, key = key_for(deps, tx, call, place.vault_id, place.key_id, operation)
            require_state(key.lifecycle_state, (State.ENABLED, State.DISABLED), "key")
            tags = _changed(key.freeform_tags, request)
            if request.merge and request.check is not None:
                request.check(tags)
            if tags != key.freeform_tags:
                key.freeform_tags = tags
                tx.keys.save(key)
            changed[key.id] = key
    return list(changed.values())


def _changed(tags: FreeformTags, request: ChangeKeyTagsRequest) -> FreeformTags:
    kept = {} if request.remove_all else {k: v for k, v in tags.items() if k not in request.remove}
    return {**kept, **request.merge}
