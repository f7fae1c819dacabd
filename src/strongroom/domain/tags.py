"""Validation of free-form and defined tags, display names and other shared fields."""

from __future__ import annotations

from typing import Any

from strongroom.domain.errors import InvalidParameter

__all__ = [
    "MAX_DISPLAY_NAME",
    "MAX_TAGS",
    "MAX_TAG_KEY",
    "MAX_TAG_VALUE",
    "DefinedTags",
    "FreeformTags",
    "defined_tags",
    "display_name",
    "freeform_tags",
]

MAX_TAGS = 64
MAX_TAG_KEY = 100
MAX_TAG_VALUE = 256
MAX_DISPLAY_NAME = 255

FreeformTags = dict[str, str]
DefinedTags = dict[str, dict[str, Any]]


def freeform_tags(value: object) -> FreeformTags:
    """A ``{key: value}`` map of strings, bounded in count and length."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_TAGS:
        raise InvalidParameter(f"freeformTags must be an object of at most {MAX_TAGS} entries")
    for key, val in value.items():
        if not (isinstance(val, str) and 0 < len(key) <= MAX_TAG_KEY and len(val) <= MAX_TAG_VALUE):
            raise InvalidParameter("freeformTags keys and values must be short strings")
    return dict(value)


def defined_tags(value: object) -> DefinedTags:
    """A ``{namespace: {key: value}}`` map, bounded in count and length."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_TAGS:
        raise InvalidParameter(f"definedTags must be an object of at most {MAX_TAGS} namespaces")
    for namespace, entries in value.items():
        if not (isinstance(entries, dict) and 0 < len(namespace) <= MAX_TAG_KEY):
            raise InvalidParameter("definedTags must map namespaces to objects")
        for key, val in entries.items():
            if not (0 < len(key) <= MAX_TAG_KEY and isinstance(val, str | int | float | bool)):
                raise InvalidParameter("definedTags values must be scalars")
    return {ns: dict(entries) for ns, entries in value.items()}


def display_name(value: object, field: str = "displayName") -> str:
    """A non-empty printable name of at most 255 characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_DISPLAY_NAME:
        raise InvalidParameter(f"{field} must be a non-empty string of at most 255 characters")
    if any(ord(ch) < 32 for ch in value):
        raise InvalidParameter(f"{field} must not contain control characters")
    return value
