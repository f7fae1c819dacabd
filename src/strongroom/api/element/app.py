"""The Element JSON-RPC transport: ``POST /json-rpc/{version}`` with HTTP Basic credentials.

Authenticates before anything else (wrong credentials: HTTP 401, and no method runs), reads
and decodes the body (no Content-Type required; bad JSON is an Element error, never a 500),
runs the method in a worker thread (handlers block on storage and KMIP servers), answers
``{"id", "result"}`` or ``{"id", "error"}``, records the audit event under the method's name
and writes one access log line, as the OCI endpoints do."""

from __future__ import annotations

import logging
import time
import uuid

import anyio.to_thread
import orjson
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from strongroom.api.element import versions
from strongroom.api.element.auth import ElementCredentials, check_basic
from strongroom.api.element.dispatch import Outcome, find_method, run_method
from strongroom.api.element.errors import ElementError, error_object
from strongroom.domain.identity import Principal
from strongroom.metrics import RequestMetrics
from strongroom.services.audit.requests import record_request
from strongroom.services.context import AuditNote, Call
from strongroom.services.ports import Deps

__all__ = ["MAX_BODY", "PRINCIPAL_TYPE", "ElementEndpoint", "build_element_app"]

access_log = logging.getLogger("strongroom.access")
MAX_BODY = 256 * 1024
PRINCIPAL_TYPE = "element"
_UNAUTHORIZED = b"401 Unauthorized."
_METRICS = RequestMetrics("element")  # by method (Unauthenticated, InvalidRequest otherwise)


def build_element_app(deps: Deps, credentials: ElementCredentials, tenancy_id: str) -> Starlette:
    """The Element API as an ASGI application; calls are attributed to ``credentials``'
    user in tenancy ``tenancy_id``."""
    endpoint = ElementEndpoint(deps, credentials, tenancy_id)
    return Starlette(routes=[Route("/json-rpc/{version}", endpoint, methods=["POST"])])


class ElementEndpoint:
    """``POST /json-rpc/{version}`` as a raw ASGI application."""

    def __init__(self, deps: Deps, credentials: ElementCredentials, tenancy_id: str) -> None:
        self.deps = deps
        self.credentials = credentials
        self.principal = Principal(tenancy_id, credentials.username, principal_type=PRINCIPAL_TYPE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(scope["headers"])}
        started = time.perf_counter()
        request_id = uuid.uuid4().hex.upper()
        note = AuditNote()
        refused = check_basic(headers.get("authorization"), self.credentials)
        if refused is not None:
            note.reason = refused
            self._finish(scope, "Unauthenticated", 401, request_id, note, started)
            await _send(send, 401, _UNAUTHORIZED, b"text/plain", refused=True)
            return
        note.principal = self.principal
        call = Call(self.principal, request_id, note)
        operation, request_id_value, outcome = await self._answer(scope, headers, receive, call)
        kind, body = outcome
        status = 200 if kind == "result" else int(str(body.get("code", 500)))
        self._finish(scope, operation, status, request_id, note, started)
        payload = orjson.dumps({"id": request_id_value, kind: body})
        await _send(send, 200, payload, b"application/json")

    async def _answer(
        self, scope: Scope, headers: dict[str, str], receive: Receive, call: Call
    ) -> tuple[str, object, Outcome]:
        """(operation name, the request's id, outcome)."""
        request_id_value: object = None
        operation = "InvalidRequest"
        try:
            version = scope.get("path_params", {}).get("version", "")
            raw = await _read_body(headers, receive)
            request = _decode(raw)
            request_id_value = request.get("id")
            if not versions.is_supported(version):
                raise ElementError("xUnknownAPIVersion", f"Unsupported API version {version[:20]}")
            method = find_method(request.get("method"))
            operation = method.name
        except ElementError as error:
            return operation, request_id_value, ("error", error_object(error))
        params = request.get("params")
        outcome = await anyio.to_thread.run_sync(run_method, self.deps, call, method, params)
        return operation, request_id_value, outcome

    def _finish(
        self,
        scope: Scope,
        operation: str,
        status: int,
        request_id: str,
        note: AuditNote,
        started: float,
    ) -> None:
        client = scope.get("client")
        source = client[0] if client else None
        tenancy = self.principal.tenancy_id
        record_request(self.deps, note, operation, status, request_id, source, None, tenancy)
        seconds = time.perf_counter() - started
        _METRICS.operation(operation).observe(status, seconds)
        ms = seconds * 1000
        principal = note.principal.user_id if note.principal is not None else "-"
        fields: dict[str, object] = {
            "method": scope["method"],
            "path": scope["path"],
            "operation": operation,
            "status": status,
            "duration_ms": round(ms, 3),
            "principal": principal,
            "request_id": request_id,
        }
        message = "%s %s %s %d %.1fms principal=%s request=%s"
        args: tuple[object, ...] = (scope["method"], scope["path"], operation, status, ms)
        args += (principal, request_id)
        if note.reason is not None:
            fields["reason"] = note.reason
            message += " reason=%s"
            args += (note.reason,)
        level = logging.WARNING if status == 401 else logging.INFO
        access_log.log(level, message, *args, extra={"fields": fields})


def _decode(raw: bytes) -> dict[str, object]:
    try:
        request = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ElementError("xInvalidJSON", "The request body is not valid JSON") from None
    if not isinstance(request, dict):
        raise ElementError("xInvalidRequest", "The request must be a JSON object")
    return request


async def _read_body(headers: dict[str, str], receive: Receive) -> bytes:
    declared = headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        raise ElementError("xRequestTooLarge", f"The request must be at most {MAX_BODY} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ElementError("xInvalidRequest", "The client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise ElementError("xRequestTooLarge", f"The request must be at most {MAX_BODY} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(
    send: Send, status: int, body: bytes, content_type: bytes, refused: bool = False
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if refused:
        headers.append((b"www-authenticate", b'Basic realm="Strongroom Element API"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
