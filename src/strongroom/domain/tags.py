"""Validation of free-form and defined tags, display names and other shared fields.

Control characters: no text field accepts the C0 controls (U+0000-U+001F, NUL included) or
DEL (U+007F), except free text (descriptions, policy statements, matching rules, PEM blocks,
templates), which may hold tab, line feed and carriage return (:func:`no_controls` with
``free_text=True``). PostgreSQL cannot store NUL at all, so refusing them here keeps both
back ends alike: 400 InvalidParameter naming the field.
"""

from __future__ import annotations

import re
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
    "no_controls",
]

MAX_TAGS = 64
MAX_TAG_KEY = 100
MAX_TAG_VALUE = 256
MAX_DISPLAY_NAME = 255

FreeformTags = dict[str, str]
DefinedTags = dict[str, dict[str, Any]]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_controls(value: str, field: str, *, free_text: bool = False) -> str:
    """``value`` if it holds no control character (tab, LF and CR allowed in ``free_text``).

    ``str.isprintable`` answers for most strings in one C loop; only the others (with a
    control, or a non-ASCII space or format character) are searched with the regex."""
    if not value.isprintable() and (_CONTROL_IN_TEXT if free_text else _CONTROL).search(value):
        raise InvalidParameter(f"{field} must not contain control characters")
    return value


def freeform_tags(value: object) -> FreeformTags:
    """A ``{key: value}`` map of strings, bounded in count and length."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_TAGS:
        raise InvalidParameter(f"freeformTags must be an object of at most {MAX_TAGS} entries")
    for key, val in value.items():
        if not (isinstance(val, str) and 0 < len(key) <= MAX_TAG_KEY and len(val) <= MAX_TAG_VALUE):
            raise InvalidParameter("freeformTags keys and values must be short strings")
        no_controls(key, "freeformTags keys")
        no_controls(val, f"freeformTags.{key}")
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
        no_controls(namespace, "definedTags namespaces")
        for key, val in entries.items():
            _defined_tag(namespace, key, val)
    return {ns: dict(entries) for ns, entries in value.items()}


def _defined_tag(namespace: str, key: str, value: object) -> None:
    """One ``key: value`` of a namespace: a short key and a scalar value, without controls."""
    if not (0 < len(key) <= MAX_TAG_KEY and isinstance(value, str | int | float | bool)):
        raise InvalidParameter("definedTags values must be scalars")
    no_controls(key, f"definedTags.{namespace} keys")
    if isinstance(value, str):
        if len(value) > MAX_TAG_VALUE:
            raise InvalidParameter(f"definedTags values must be at most {MAX_TAG_VALUE} characters")
        no_controls(value, f"definedTags.{namespace}.{key}")


def display_name(value: object, field: str = "displayName") -> str:
    """A non-empty printable name of at most 255 characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_DISPLAY_NAME:
        raise InvalidParameter(f"{field} must be a non-empty string of at most 255 characters")
    return no_controls(value, field)
