"""Wrapping a handler into a Starlette endpoint: authenticate, run, render, map errors."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from strongroom.api.oci import parse
from strongroom.api.oci.errors import message_for, status_and_code
from strongroom.api.oci.signature import signed_request
from strongroom.domain.errors import PayloadTooLarge, StrongroomError
from strongroom.services import idempotency
from strongroom.services.authn import authenticate
from strongroom.services.context import AuditNote, Call
from strongroom.services.nonblocking import WouldBlock, forbid_blocking
from strongroom.services.ports import Deps
from strongroom.services.request_audit import record_request

log = logging.getLogger("strongroom.api")

DEFAULT_MAX_BODY = 64 * 1024
_KEY_ID = re.compile(r'keyId="([^"]{1,600})"')
_BODY_FRAMING = (b"content-length", b"transfer-encoding")


@dataclass(frozen=True)
class Api:
    """What every handler may use: the services' dependencies and the advertised base URL."""

    deps: Deps
    public_url: str


@dataclass
class OciRequest:
    """A parsed, authenticated request as a handler sees it."""

    call: Call
    path: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    raw_body: bytes

    @cached_property
    def body(self) -> parse.Body:
        return parse.json_object(self.raw_body)

    @property
    def if_match(self) -> str | None:
        return self.headers.get("if-match")


@dataclass
class Reply:
    """What a handler returns; rendered as JSON with OCI headers.

    A handler whose use case still awaits an external system (an EKM) returns a Reply with
    only ``pending``: the endpoint awaits it on the event loop for the real Reply.
    """

    body: Any = None
    status: int = 200
    etag: str | None = None
    next_page: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    pending: Callable[[], Awaitable[Reply]] | None = None

    def encode(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if self.etag:
            headers["etag"] = self.etag
        if self.next_page:
            headers["opc-next-page"] = self.next_page
        body = b"" if self.body is None else orjson.dumps(self.body)
        return body, headers


Handler = Callable[[Api, OciRequest], Reply]


def error_response(error: StrongroomError, request_id: str) -> Response:
    """An OCI ``{code, message}`` error."""
    status, code = status_and_code(error)
    return json_response(status, {"code": code, "message": message_for(error)}, request_id, {})


def json_response(status: int, body: Any, request_id: str, headers: dict[str, str]) -> Response:
    """A JSON response carrying ``opc-request-id``."""
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {**headers, "opc-request-id": request_id}
    if not raw:
        return Response(status_code=status if status != 200 else 204, headers=headers)
    return Response(raw, status_code=status, headers=headers, media_type="application/json")


def endpoint(
    api: Api,
    handler: Handler,
    *,
    idempotent: bool = False,
    max_body: int = DEFAULT_MAX_BODY,
    inline: bool = False,
) -> Callable[[Request], Any]:
    """A Starlette endpoint running ``handler`` after authentication, in the thread pool.

    With ``inline`` (only for handlers with no effect before they could block: see
    :mod:`strongroom.services.nonblocking`), authentication and handler first run on the
    event loop with blocking forbidden, and go to the thread pool only when they would block
    (credentials, key or secret rows not cached, a key that is not a SOFTWARE AES key).
    """

    async def run(request: Request) -> Response:
        request_id = _request_id(request)
        note = AuditNote()
        response = await _respond(request, request_id, note)
        _audit(api, handler, request, request_id, note, response.status_code)
        return response

    async def _respond(request: Request, request_id: str, note: AuditNote) -> Response:
        try:
            raw = await _read_body(request, max_body)
            args = (api, handler, request, raw, request_id, idempotent, note)
            if inline and not idempotent:
                try:
                    with forbid_blocking():
                        done = _process(*args)
                except WouldBlock:
                    done = await run_in_threadpool(_process, *args)
            else:
                done = await run_in_threadpool(_process, *args)
            if isinstance(done, Reply):
                done = await _settle(done)
            status, body, headers = done
            return json_response(status, body, request_id, headers)
        except StrongroomError as error:
            return error_response(error, request_id)
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception:
            log.exception(
                "unhandled error in %s %s (request %s)",
                request.method,
                request.url.path,
                request_id,
            )
            failure = {
                "code": "InternalServerError",
                "message": f"Internal error; request id {request_id}",
            }
            return json_response(500, failure, request_id, {})

    return run


def _audit(
    api: Api, handler: Handler, request: Request, request_id: str, note: AuditNote, status: int
) -> None:
    if api.deps.audit is None:
        return
    client = request.scope.get("client")
    operation = note.operation or f"{handler.__module__.rsplit('.', 1)[-1]}.{handler.__name__}"
    key_id = _signature_key_id(request) if note.principal is None else None
    record_request(
        api.deps, note, operation, status, request_id, client[0] if client else None, key_id
    )


def _signature_key_id(request: Request) -> str | None:
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            found = _KEY_ID.search(value.decode("latin-1"))
            return found.group(1) if found else None
    return None


def _request_id(request: Request) -> str:
    for name, value in request.scope["headers"]:
        if name == b"opc-request-id" and 0 < len(value) <= 98:
            return str(value.decode("latin-1"))
    return uuid.uuid4().hex.upper()


async def _read_body(request: Request, limit: int) -> bytes:
    if request.scope["method"] == "GET" and not any(
        name in _BODY_FRAMING for name, _ in request.scope["headers"]
    ):
        return b""  # HTTP/1.1: without Content-Length or Transfer-Encoding there is no body
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body must be at most {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The request body must be at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


_Processed = tuple[int, bytes, dict[str, str]]


async def _settle(reply: Reply) -> _Processed:
    """Await a pending reply on the event loop, and encode the reply it gives."""
    assert reply.pending is not None
    final = await reply.pending()
    body, headers = final.encode()
    return final.status, body, headers


def _process(
    api: Api,
    handler: Handler,
    request: Request,
    raw: bytes,
    request_id: str,
    idempotent: bool,
    note: AuditNote,
) -> _Processed | Reply:
    # ASGI header names are already lower-case bytes; the first of repeated headers wins.
    headers = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in reversed(request.scope["headers"])
    }
    target = request.scope["raw_path"].decode("latin-1")
    query_string = request.scope.get("query_string", b"").decode("latin-1")
    if query_string:
        target = f"{target}?{query_string}"
    principal = authenticate(api.deps, signed_request(request.method, target, headers, raw))
    note.principal = principal
    call = Call(principal, request_id, note)
    token = headers.get("opc-retry-token") if idempotent else None
    fingerprint = idempotency.request_fingerprint(request.method, target, raw) if token else ""
    if token:
        previous = idempotency.replay(api.deps, call, token, fingerprint)
        if previous is not None:
            return previous
    query = dict(request.query_params) if query_string else {}
    oci_request = OciRequest(call, request.path_params, query, headers, raw)
    reply = handler(api, oci_request)
    if reply.pending is not None:
        return reply  # not idempotent: only crypto handlers (never retry-token routes) pend
    body, reply_headers = reply.encode()
    if token and 200 <= reply.status < 300:
        idempotency.remember(api.deps, call, token, fingerprint, reply.status, body, reply_headers)
    return reply.status, body, reply_headers
