"""Request parsing shared by the EKMS and XKS APIs: bounded bodies, JSON objects, base64."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
from starlette.requests import Request

from strongroom.ekm_proxy.errors import BadRequest

MAX_BODY = 256 * 1024


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, refusing more than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BadRequest(f"The request body must be at most {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(f"The request body must be at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest("The request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise BadRequest("The request body must be a JSON object")
    return value


def optional_str(body: dict[str, Any], name: str) -> str | None:
    """A string field that may be absent (or null)."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    return value


def required_str(body: dict[str, Any], name: str) -> str:
    """A string field that must be present."""
    value = optional_str(body, name)
    if value is None:
        raise BadRequest(f"{name} is required")
    return value


def optional_b64(body: dict[str, Any], name: str) -> bytes | None:
    """A standard-base64 field that may be absent (or null)."""
    text = optional_str(body, name)
    if text is None:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"{name} must be standard base64") from None


def required_b64(body: dict[str, Any], name: str) -> bytes:
    """A standard-base64 field that must be present."""
    value = optional_b64(body, name)
    if value is None:
        raise BadRequest(f"{name} is required")
    return value


def b64(data: bytes) -> str:
    """Standard base64 text."""
    return base64.b64encode(data).decode("ascii")
