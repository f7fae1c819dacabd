"""Framing an OCI response around what a handler did: its headers (opc-request-id, length,
type), the error bodies, the request id, and the operator's line for a refused signature."""

from __future__ import annotations

import logging
import re
import uuid

import orjson
from starlette.types import Scope

from strongroom.api.oci.errors import message_for, status_and_code
from strongroom.domain.errors import StrongroomError

__all__ = [
    "error_parts",
    "internal_error",
    "log_refusal",
    "request_id_of",
    "response_headers",
    "signature_key_id",
]

access_log = logging.getLogger("strongroom.access")
_KEY_ID = re.compile(r'keyId="([^"]{1,600})"')
RawHeaders = list[tuple[bytes, bytes]]  # ASGI's (name, value) header pairs


def internal_error(request_id: str) -> tuple[int, bytes, dict[str, str]]:
    failure = {"code": "InternalServerError", "message": f"Internal error; request id {request_id}"}
    return 500, orjson.dumps(failure), {}


def error_parts(error: StrongroomError) -> tuple[int, bytes, dict[str, str]]:
    status, code = status_and_code(error)
    return status, orjson.dumps({"code": code, "message": message_for(error)}), {}


_JSON = (b"content-type", b"application/json")


def response_headers(
    status: int, body: bytes, headers: dict[str, str], request_id: str
) -> list[tuple[bytes, bytes]]:
    """The headers :func:`json_response` sends (Starlette's rules for length and type)."""
    raw = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]
    raw.append((b"opc-request-id", request_id.encode("latin-1")))
    if body:
        raw.append((b"content-length", str(len(body)).encode("latin-1")))
        if "content-type" not in headers:  # set by a handler whose body is not JSON
            raw.append(_JSON)
    elif status not in (204, 304):
        raw.append((b"content-length", b"0"))
    return raw


def signature_key_id(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization")
    found = None if value is None else _KEY_ID.search(value)
    return found.group(1) if found else None


def log_refusal(scope: Scope, headers: dict[str, str], request_id: str, reason: str) -> None:
    """Why a signature was refused, for the operator: the claimed keyId, never the signature."""
    access_log.warning(
        "signature refused (%s): %s %s keyId=%s request=%s",
        reason,
        scope["method"],
        scope["path"],
        signature_key_id(headers) or "-",
        request_id,
        extra={"fields": {"reason": reason, "request_id": request_id}},
    )


def request_id_of(headers: dict[str, str], raw: RawHeaders) -> str:
    """The caller's opc-request-id (the first usable one), or a new one."""
    value = headers.get("opc-request-id")
    if value is not None and 0 < len(value) <= 98:
        return value
    for name, raw_value in raw:
        if name == b"opc-request-id" and 0 < len(raw_value) <= 98:
            return str(raw_value.decode("latin-1"))
    return uuid.uuid4().hex.upper()
