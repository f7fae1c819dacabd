"""Reading and writing the JSON bodies of both protocols; anything malformed is EkmBadResponse."""

from __future__ import annotations

import binascii
from typing import TYPE_CHECKING, Any

import orjson

from strongroom.crypto.providers.ekm_client.errors import EkmBadResponse

if TYPE_CHECKING:
    from strongroom.crypto.providers.ekm_client.http import Answer

Body = dict[str, Any]


def b64(data: bytes) -> str:
    """Standard base64 text of ``data``."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def dumps(body: Body) -> bytes:
    """A JSON request body."""
    return orjson.dumps(body)


def json_body(response: Answer, label: str) -> Body:
    """The response's JSON object, or EkmBadResponse."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise EkmBadResponse(f"{label} returned a body that is not JSON") from None
    if not isinstance(body, dict):
        raise EkmBadResponse(f"{label} returned JSON that is not an object")
    return body


def error_body(response: Answer) -> Body:
    """The JSON object of an error response, or an empty one when it has none."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def text(body: Body, name: str, label: str) -> str:
    """A required string field."""
    value = body.get(name)
    if not isinstance(value, str):
        raise EkmBadResponse(f"{label} returned a response without a valid '{name}'")
    return value


def optional_text(body: Body, name: str, label: str) -> str | None:
    """An optional string field (absent or null is None)."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise EkmBadResponse(f"{label} returned a response without a valid '{name}'")
    return value


def binary(body: Body, name: str, label: str) -> bytes:
    """A required base64 field, decoded strictly."""
    return unb64(text(body, name, label), name, label)


def unb64(value: str, name: str, label: str) -> bytes:
    """Strict standard base64; EkmBadResponse naming ``name`` when it is not."""
    try:
        return binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError):
        raise EkmBadResponse(f"{label} returned '{name}' that is not valid base64") from None


def code_of(body: Body, *names: str) -> str:
    """The first string among ``names`` (an error code), shortened and made printable."""
    for name in names:
        value = body.get(name)
        if isinstance(value, str) and value:
            return "".join(c for c in value[:64] if c.isalnum() or c in "._-")
    return ""
