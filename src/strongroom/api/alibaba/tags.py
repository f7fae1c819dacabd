"""Tags as the Alibaba API writes them: at most 20 per key, key and value at most 128
characters of letters, digits and ``/ \\ _ - . + = : @`` (and spaces), and no key starting with
``aliyun`` or ``acs:``. They are the key's freeform tags: OCI's limits apply to writes through
the OCI API, these to writes through this one, and reads through either never fail."""

from __future__ import annotations

import re
from typing import Any

from strongroom.api.alibaba.errors import AlibabaError, InvalidParameter

__all__ = ["MAX_TAGS", "check_tags", "tags_from_json"]

MAX_TAGS = 20
MAX_LENGTH = 128
_ALLOWED = re.compile(r"^[\w /\\.+=:@-]*$", re.ASCII)
_RESERVED = ("aliyun", "acs:")


def tags_from_json(value: Any, name: str = "Tags") -> dict[str, str]:
    """``[{"TagKey": k, "TagValue": v}, ...]`` as a dict, each checked."""
    if value is None:
        return {}
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise InvalidParameter(name, 'must be a JSON list of {"TagKey", "TagValue"} objects')
    found: dict[str, str] = {}
    for item in value:
        key, tag_value = item.get("TagKey"), item.get("TagValue", "")
        if not isinstance(key, str) or not isinstance(tag_value, str):
            raise InvalidParameter(name, "TagKey and TagValue must be strings")
        found[key] = tag_value
    check_tags(found, name)
    return found


def check_tags(tags: dict[str, str], name: str = "Tags") -> None:
    """Alibaba's limits on tags written through this API."""
    if len(tags) > MAX_TAGS:
        raise AlibabaError(
            400, "Tag.LimitExceeded", f"A key may have at most {MAX_TAGS} tags ({len(tags)})."
        )
    for key, value in tags.items():
        if not key or len(key) > MAX_LENGTH or len(value) > MAX_LENGTH:
            raise InvalidParameter(name, f"tag keys and values are 1 to {MAX_LENGTH} characters")
        if not _ALLOWED.match(key) or not _ALLOWED.match(value):
            raise InvalidParameter(name, "tags use letters, digits, spaces and / \\ _ - . + = : @")
        if key.lower().startswith(_RESERVED):
            raise InvalidParameter(name, "tag keys may not start with aliyun or acs:")
