"""Wrapping a handler into an ASGI endpoint: authenticate, run, render, map errors, audit."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from strongroom.api.body import read_body
from strongroom.api.oci import parse
from strongroom.api.oci.forwarding import FORWARDED_PRINCIPAL, forward_elsewhere
from strongroom.api.oci.framing import (
    error_parts,
    internal_error,
    log_refusal,
    request_id_of,
    response_headers,
    signature_key_id,
)
from strongroom.api.oci.hot_routes import HotRoutes
from strongroom.api.oci.signature import signed_request
from strongroom.domain.errors import (
    StorageIntegrityError,
    StrongroomError,
    WriteElsewhere,
)
from strongroom.domain.identity import Principal
from strongroom.metrics import OperationMetrics
from strongroom.services import idempotency
from strongroom.services.audit.requests import record_request
from strongroom.services.context import AuditNote, Call
from strongroom.services.identity.authn import SignatureRefused, authenticate
from strongroom.services.identity.replays import refuse_replayed
from strongroom.services.nonblocking import WouldBlock, forbid_blocking
from strongroom.services.ports import Deps

__all__ = [
    "DEFAULT_MAX_BODY",
    "EFFECT_FREE",
    "Api",
    "ApiRoute",
    "Endpoint",
    "Handler",
    "OciRequest",
    "Reply",
    "endpoint",
    "json_response",
    "routes",
]

log = logging.getLogger("strongroom.api")
# One line per request at INFO (``record.fields`` holds them for a structured formatter), and
# a warning for each refused signature, saying why (the caller is never told).
access_log = logging.getLogger("strongroom.access")
_INFO = logging.INFO
_API = "oci"  # the ``api`` label of this dialect's request metrics

DEFAULT_MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Api:
    """What every handler may use: the services' dependencies (``deps.public_url`` is the
    advertised base URL)."""

    deps: Deps


@dataclass
class OciRequest:
    """A parsed, authenticated request as a handler sees it."""

    call: Call
    path: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    raw_body: bytes
    _body: parse.Body | None = field(default=None, init=False, repr=False)

    @property
    def body(self) -> parse.Body:
        """The body as a JSON object, parsed on first use."""
        if self._body is None:
            self._body = parse.json_object(self.raw_body)
        return self._body

    @property
    def if_match(self) -> str | None:
        return self.headers.get("if-match")


@dataclass
class Reply:
    """What a handler returns; rendered as JSON with OCI headers (a ``bytes`` body is sent as
    it is, with the ``content-type`` the handler puts in ``headers``).

    A handler whose use case still awaits an external system (an EKM) returns a Reply with
    only ``pending``: the endpoint awaits it on the event loop for the real Reply.
    """

    body: Any = None
    status: int = 200
    etag: str | None = None
    next_page: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    pending: Callable[[], Awaitable[Reply]] | None = None

    @classmethod
    def page(cls, items: list[dict[str, object]], next_offset: int | None) -> Reply:
        """A list response with its opc-next-page token."""
        token = parse.encode_page(next_offset) if next_offset is not None else None
        return cls(items, next_page=token)

    def encode(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if self.etag:
            headers["etag"] = self.etag
        if self.next_page:
            headers["opc-next-page"] = self.next_page
        if isinstance(self.body, bytes):  # encoded by the handler, its content-type in headers
            return self.body, headers
        body = b"" if self.body is None else orjson.dumps(self.body)
        return body, headers


Handler = Callable[[Api, OciRequest], Reply]

# The operations sent with a body (POST) that change nothing: the cryptographic operations and
# a read by name. They may repeat with the same signature (see ApiRoute.changes_state).
EFFECT_FREE = frozenset(
    {
        "Encrypt",
        "Decrypt",
        "GenerateDataEncryptionKey",
        "Sign",
        "Verify",
        "ExportKey",
        "GetSecretBundleByName",
    }
)


def json_response(status: int, body: Any, request_id: str, headers: dict[str, str]) -> Response:
    """A JSON response carrying ``opc-request-id``."""
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {**headers, "opc-request-id": request_id}
    if not raw:
        return Response(status_code=status if status != 200 else 204, headers=headers)
    return Response(raw, status_code=status, headers=headers, media_type="application/json")


class ApiRoute(NamedTuple):
    """One API operation of a route table: its name in the API (``Encrypt``), which is what
    audit records and logs show, its method and path, and its handler.

    ``idempotent`` routes accept ``opc-retry-token``. ``inline`` routes (only handlers with no
    effect before they could block: see :mod:`strongroom.services.nonblocking`) first run on
    the event loop with blocking forbidden, and go to the thread pool only when they would
    block (credentials, key or secret rows not cached, a key that is not a SOFTWARE AES key);
    they are also dispatched ahead of Starlette (:mod:`.hot_routes`).
    """

    operation: str
    method: str
    path: str
    handler: Handler
    idempotent: bool = False
    inline: bool = False

    @property
    def changes_state(self) -> bool:
        """Whether the operation changes state (not a GET or HEAD, not in :data:`EFFECT_FREE`):
        such a signed request is accepted once (a replay of its signature is refused)."""
        return self.method not in ("GET", "HEAD") and self.operation not in EFFECT_FREE


def endpoint(api: Api, route: ApiRoute, *, max_body: int = DEFAULT_MAX_BODY) -> Endpoint:
    """``route``'s handler as an ASGI application: authenticate, run, render, audit."""
    return Endpoint(
        api,
        route.handler,
        operation=route.operation,
        idempotent=route.idempotent,
        max_body=max_body,
        inline=route.inline,
        once=route.changes_state,
    )


class Endpoint:
    """An OCI operation as a raw ASGI application (``scope["path_params"]`` set by a router).

    Raw ASGI rather than Starlette's Request and Response objects: this runs on every API
    call, and those objects cost more than the work of the hot operations around them.
    """

    __slots__ = (
        "api",
        "handler",
        "idempotent",
        "inline",
        "max_body",
        "metrics",
        "once",
        "operation",
    )

    def __init__(
        self,
        api: Api,
        handler: Handler,
        *,
        operation: str,
        idempotent: bool,
        max_body: int,
        inline: bool,
        once: bool = False,
    ) -> None:
        self.api = api
        self.once = once
        self.handler = handler
        self.idempotent = idempotent
        self.max_body = max_body
        self.inline = inline and not idempotent
        self.operation = operation
        self.metrics = OperationMetrics(_API, operation)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # ASGI header names are already lower-case bytes; the first of repeated headers wins.
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in reversed(scope["headers"])
        }
        started = time.perf_counter()
        request_id = request_id_of(headers, scope["headers"])
        note = AuditNote()
        try:
            status, body, out = await self._respond(scope, headers, receive, request_id, note)
            if not body and status == 200:
                status = 204
            raw_headers = response_headers(status, body, out, request_id)
        except ClientDisconnect:
            status, body, raw_headers = 400, b"", [(b"content-length", b"0")]
        self._audit(scope, headers, request_id, note, status)
        if note.reason is not None:
            log_refusal(scope, headers, request_id, note.reason)
        seconds = time.perf_counter() - started
        self.metrics.observe(status, seconds)
        if access_log.isEnabledFor(_INFO):
            self._log_access(scope, status, request_id, note, seconds)
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})

    async def _respond(
        self,
        scope: Scope,
        headers: dict[str, str],
        receive: Receive,
        request_id: str,
        note: AuditNote,
    ) -> _Processed:
        try:
            raw = await read_body(scope["method"], headers, receive, self.max_body)
            flags = (self.idempotent, self.once)
            args = (self.api, self.handler, scope, headers, raw, request_id, flags, note)
            if self.inline:
                try:
                    with forbid_blocking():
                        done = _process(*args)
                except WouldBlock:
                    done = await run_in_threadpool(_process, *args)
            else:
                done = await run_in_threadpool(_process, *args)
            if isinstance(done, Reply):
                return await _settle(done)
            return done
        except StorageIntegrityError as error:
            # Names the row, never the value; the caller learns only the request id.
            log.error(
                "stored value failed its integrity check: table %s, row %s (%s %s, request %s)",
                error.table,
                error.row,
                scope["method"],
                scope["path"],
                request_id,
            )
            return internal_error(request_id)
        except StrongroomError as error:
            return error_parts(error)
        except ClientDisconnect:
            raise
        except Exception:
            log.exception(
                "unhandled error in %s %s (request %s)",
                scope["method"],
                scope["path"],
                request_id,
            )
            return internal_error(request_id)

    def _audit(
        self, scope: Scope, headers: dict[str, str], request_id: str, note: AuditNote, status: int
    ) -> None:
        if self.api.deps.audit is None:
            return
        client = scope.get("client")
        key_id = signature_key_id(headers) if note.principal is None else None
        record_request(
            self.api.deps,
            note,
            self.operation,
            status,
            request_id,
            client[0] if client else None,
            key_id,
        )

    def _log_access(
        self, scope: Scope, status: int, request_id: str, note: AuditNote, seconds: float
    ) -> None:
        """The request's access log line (never a body, a query string or a header)."""
        ms = seconds * 1000
        principal = note.principal.user_id if note.principal is not None else "-"
        fields: dict[str, object] = {
            "method": scope["method"],
            "path": scope["path"],
            "operation": self.operation,
            "status": status,
            "duration_ms": round(ms, 3),
            "principal": principal,
            "request_id": request_id,
        }
        message = "%s %s %s %d %.1fms principal=%s request=%s"
        args: tuple[object, ...] = (scope["method"], scope["path"], self.operation, status, ms)
        args += (principal, request_id)
        if note.reason is not None:
            fields["reason"] = note.reason
            message += " reason=%s"
            args += (note.reason,)
        access_log.info(message, *args, extra={"fields": fields})


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
    scope: Scope,
    headers: dict[str, str],
    raw: bytes,
    request_id: str,
    flags: tuple[bool, bool],
    note: AuditNote,
) -> _Processed | Reply:
    """Authenticate, refuse a replayed signed write, replay a retry token's response, or run.

    The order matters: the signature is verified first (only genuine signatures are recorded),
    then a write's signature is recorded once (so a request replayed with the same signature
    *and* the same ``opc-retry-token`` is refused as a replay), and only then is the retry
    token looked up: an SDK retry is signed afresh, so it passes and gets the first response.
    """
    idempotent, once = flags
    method = scope["method"]
    target = scope["raw_path"].decode("latin-1")
    query_string = scope.get("query_string", b"").decode("latin-1")
    if query_string:
        target = f"{target}?{query_string}"
    principal, forwarded_from = _caller(api.deps, scope, target, headers, raw, once, note)
    note.principal = principal
    client = scope.get("client")
    source_ip = client[0] if client else None
    call = Call(principal, request_id, note, forwarded_from=forwarded_from, source_ip=source_ip)
    token = headers.get("opc-retry-token") if idempotent else None
    fingerprint = idempotency.request_fingerprint(method, target, raw) if token else ""
    if token:
        previous = idempotency.replay(api.deps, call, token, fingerprint)
        if previous is not None:
            return previous
    # Control characters in path and query parameters are refused here, once for every route.
    path = parse.params(scope.get("path_params", {}))
    oci_request = OciRequest(call, path, parse.query(query_string), headers, raw)
    try:
        reply = handler(api, oci_request)
    except WriteElsewhere as elsewhere:
        return forward_elsewhere(api.deps, principal, elsewhere, method, target, headers, raw)
    if call.started:
        reply.headers.setdefault("opc-work-request-id", call.started[-1])
    if reply.pending is not None:
        return reply  # not idempotent: only crypto handlers (never retry-token routes) pend
    body, reply_headers = reply.encode()
    if token and 200 <= reply.status < 300:
        idempotency.remember(api.deps, call, token, fingerprint, reply.status, body, reply_headers)
    return reply.status, body, reply_headers


def _caller(
    deps: Deps,
    scope: Scope,
    target: str,
    headers: dict[str, str],
    raw: bytes,
    once: bool,
    note: AuditNote,
) -> tuple[Principal, str | None]:
    """Who calls, and the region that forwarded the call (None: it came here directly)."""
    forwarded: tuple[Principal, str] | None = scope.get(FORWARDED_PRINCIPAL)
    if forwarded is not None:
        # A write a replica region forwarded: that region authenticated the caller (and the
        # realm endpoint authenticated the region and refused a replay); authorize it here.
        return forwarded
    try:
        signed = signed_request(scope["method"], target, headers, raw)
        principal = authenticate(deps, signed)
        if once:
            refuse_replayed(deps, signed)
    except SignatureRefused as refused:
        note.reason = refused.reason
        raise
    return principal, None


def routes(
    api: Api,
    table: Sequence[ApiRoute],
    hot: HotRoutes,
    wrap: Callable[[ApiRoute, ASGIApp], ASGIApp] | None = None,
) -> list[BaseRoute]:
    """Starlette routes for ``table``, bound to ``api``; inline routes are registered in
    ``hot`` as well, and listed first (no other route can match their paths). ``wrap`` may
    put another application in front of a (non-inline) route's endpoint."""
    first: list[BaseRoute] = [
        hot.route(r.path, r.method, endpoint(api, r)) for r in table if r.inline
    ]
    rest: list[BaseRoute] = [
        Route(r.path, wrap(r, endpoint(api, r)) if wrap else endpoint(api, r), methods=[r.method])
        for r in table
        if not r.inline
    ]
    return first + rest
