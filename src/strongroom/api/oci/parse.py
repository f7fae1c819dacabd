"""Reading typed fields out of OCI JSON bodies and query strings, with OCI-style errors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TypedDict, TypeVar

import orjson
from starlette.datastructures import QueryParams

from strongroom.domain import tags
from strongroom.domain.errors import InvalidParameter
from strongroom.domain.paging import MAX_LIMIT, PageRequest

__all__ = [
    "MAX_OFFSET",
    "Body",
    "NameAndTags",
    "b64",
    "boolean",
    "decode_page",
    "encode_page",
    "enum",
    "json_object",
    "name_and_tags",
    "no_controls_in",
    "obj",
    "page_request",
    "params",
    "query",
    "required_b64",
    "required_string",
    "string",
    "string_map",
    "timestamp",
]

E = TypeVar("E", bound=StrEnum)
Body = dict[str, Any]
MAX_OFFSET = 2**31 - 1


def json_object(raw: bytes) -> Body:
    """The request body as a JSON object; an empty body is an empty object."""
    if not raw.strip():
        return {}
    try:
        doc = orjson.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: absurdly deep nesting is malformed input, not a server failure.
        raise InvalidParameter("The request body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise InvalidParameter("The request body must be a JSON object")
    return doc


def string(
    body: Body, name: str, *, required: bool = True, max_len: int = 4096, free_text: bool = False
) -> str | None:
    """A string field without control characters (tab, LF and CR allowed in ``free_text``)."""
    value = _bounded(body, name, required, max_len)
    return None if value is None else tags.no_controls(value, name, free_text=free_text)


def _bounded(body: Body, name: str, required: bool, max_len: int) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidParameter(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise InvalidParameter(f"{name} must be a string")
    if len(value) > max_len:
        raise InvalidParameter(f"{name} must be at most {max_len} characters")
    return value


def required_string(body: Body, name: str, max_len: int = 4096, free_text: bool = False) -> str:
    """A string field that must be present."""
    value = string(body, name, required=True, max_len=max_len, free_text=free_text)
    assert value is not None
    return value


def boolean(body: Body, name: str, default: bool = False) -> bool:
    """A boolean field."""
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidParameter(f"{name} must be true or false")
    return value


def enum(kind: type[E], value: object, name: str) -> E:
    """One of an enum's values."""
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    allowed = ", ".join(member.value for member in kind)
    raise InvalidParameter(f"{name} must be one of {allowed}")


def b64(body: Body, name: str, *, required: bool = True, max_bytes: int = 65536) -> bytes | None:
    """A standard base64 field, strictly decoded (which refuses control characters)."""
    value = _bounded(body, name, required, max_bytes * 2)
    if value is None:
        return None
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameter(f"{name} must be valid base64") from None
    if len(decoded) > max_bytes:
        raise InvalidParameter(f"{name} must decode to at most {max_bytes} bytes")
    return decoded


def required_b64(body: Body, name: str, max_bytes: int = 65536) -> bytes:
    """A base64 field that must be present."""
    value = b64(body, name, required=True, max_bytes=max_bytes)
    assert value is not None
    return value


def string_map(body: Body, name: str) -> dict[str, str] | None:
    """A ``{string: string}`` object (associatedData, loggingContext)."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidParameter(f"{name} must be an object of string values")
    if len(json.dumps(value)) > 8192:
        raise InvalidParameter(f"{name} is too large")
    return value


def timestamp(body: Body, name: str) -> datetime | None:
    """An RFC 3339 timestamp field."""
    value = string(body, name, required=False, max_len=64)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(f"{name} must be an RFC 3339 timestamp") from None
    if parsed.tzinfo is None:
        raise InvalidParameter(f"{name} must carry a time zone")
    return parsed


def obj(body: Body, name: str, *, required: bool = True) -> Body | None:
    """A nested object field."""
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidParameter(f"{name} is required")
        return None
    if not isinstance(value, dict):
        raise InvalidParameter(f"{name} must be an object")
    return value


def no_controls_in(value: object, name: str, *, free_text: bool = False) -> None:
    """Refuse a control character in any string (object keys included) inside a JSON value,
    naming ``name``; tab, LF and CR are allowed in ``free_text``. Walks without recursion, so
    however deep the value, no RecursionError."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            tags.no_controls(item, name, free_text=free_text)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def params(values: Mapping[str, str]) -> Mapping[str, str]:
    """Path or query parameters, each refused (naming it) when it holds a control character."""
    for key, value in values.items():
        tags.no_controls(key, "parameter names")
        tags.no_controls(value, key)
    return values


def query(query_string: str) -> dict[str, str]:
    """The query parameters of a request (none when empty), checked by :func:`params`."""
    if not query_string:
        return {}
    values = dict(QueryParams(query_string))
    params(values)
    return values


def page_request(
    query: Mapping[str, str],
    default_sort: str = "TIMECREATED",
    sorts: tuple[str, ...] = ("TIMECREATED", "DISPLAYNAME"),
) -> PageRequest:
    """limit, page, sortBy (one of ``sorts``) and sortOrder query parameters.

    Time and version-number orders default to descending, names to ascending, as in OCI.
    """
    limit = _int_param(query.get("limit"), "limit", 1, MAX_LIMIT, 100)
    offset = decode_page(query.get("page"))
    sort_by = query.get("sortBy", default_sort)
    if sort_by not in sorts:
        raise InvalidParameter(f"sortBy must be {' or '.join(sorts)}")
    descending_first = sort_by in ("TIMECREATED", "VERSION_NUMBER")
    order = query.get("sortOrder", "DESC" if descending_first else "ASC")
    if order not in ("ASC", "DESC"):
        raise InvalidParameter("sortOrder must be ASC or DESC")
    return PageRequest(limit=limit, offset=offset, sort_by=sort_by, descending=order == "DESC")


def _int_param(raw: str | None, name: str, low: int, high: int, default: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise InvalidParameter(f"{name} must be between {low} and {high}")
    return value


def encode_page(offset: int) -> str:
    """An opaque page token for ``offset``."""
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_page(token: str | None) -> int:
    """The offset inside a page token; garbage is an InvalidParameter."""
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded))["o"]
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError):
        raise InvalidParameter("page is not a valid page token") from None
    # bool is an int subclass; offsets past MAX_OFFSET overflow the databases' OFFSET.
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET:
        raise InvalidParameter("page is not a valid page token")
    return offset


class NameAndTags(TypedDict):
    """The displayName and tag changes an Update*Details body asks for (None: unchanged)."""

    display_name: str | None
    freeform_tags: tags.FreeformTags | None
    defined_tags: tags.DefinedTags | None


def name_and_tags(body: Body) -> NameAndTags:
    """displayName, freeformTags and definedTags of an update, each validated when present."""
    return {
        "display_name": tags.display_name(body["displayName"]) if "displayName" in body else None,
        "freeform_tags": tags.freeform_tags(body["freeformTags"])
        if "freeformTags" in body
        else None,
        "defined_tags": tags.defined_tags(body["definedTags"]) if "definedTags" in body else None,
    }
