"""The Alibaba KMS transport: ``POST /`` with an ``Action`` (RPC style), on the main listener.

Each request: its signature is found and checked (ACS3-HMAC-SHA256 or HMAC-SHA1, see
:mod:`.signatures`), the timestamp must be within 15 minutes, the access key (a customer
secret key) must exist, and its ``SignatureNonce`` must be new (see :class:`.action.Action`);
then the action's handler runs (inline actions first on the event loop, the others in a worker
thread) and its answer goes back as JSON with a ``RequestId``. Every refusal is an error in
Alibaba's shape ``{Code, Message, RequestId}`` with its HTTP status; every request is audited
under its action's name and logged on one access line, as the OCI endpoints do.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from strongroom.api.alibaba.action import Action
from strongroom.api.alibaba.actions import ACTIONS, VERSION
from strongroom.api.alibaba.errors import AlibabaError, answer_for
from strongroom.api.alibaba.nonces import NonceMemory
from strongroom.api.alibaba.params import Params
from strongroom.api.alibaba.signature_errors import SignatureError
from strongroom.api.alibaba.signatures import MAX_SKEW, SignedRequest, signed_request
from strongroom.api.body import read_body
from strongroom.domain.errors import StorageIntegrityError, StrongroomError
from strongroom.metrics import RequestMetrics
from strongroom.services.audit.requests import record_request
from strongroom.services.context import AuditNote, Call
from strongroom.services.identity.access_secrets import access_secret_for
from strongroom.services.nonblocking import WouldBlock, forbid_blocking
from strongroom.services.pending import Pending
from strongroom.services.ports import Deps
from strongroom.services.replays import digest_of, remember_once

__all__ = ["MAX_BODY", "AlibabaEndpoint"]

log = logging.getLogger("strongroom.api")
access_log = logging.getLogger("strongroom.access")
MAX_BODY = 128 * 1024  # a form body may carry a 32 KB key policy, percent-encoded
_NONCE_KEPT = MAX_SKEW * 2 + timedelta(minutes=1)  # a timestamp is accepted 15 min either way
_METRICS = RequestMetrics("alibaba")  # by action (InvalidAction for an unknown one)


@dataclass
class _Exchange:
    """One request as it goes through: what is known of it so far."""

    request_id: str
    note: AuditNote
    operation: str = "InvalidAction"
    access_key_id: str | None = None
    source_ip: str | None = None  # the client's address (key policy conditions test it)


class AlibabaEndpoint:
    """``POST /`` as a raw ASGI application."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.nonces = NonceMemory()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Every header as received (a name may repeat: the signature check refuses that).
        received = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        started = time.perf_counter()
        client = scope.get("client")
        exchange = _Exchange(
            str(uuid.uuid4()).upper(), AuditNote(), source_ip=client[0] if client else None
        )
        try:
            status, body = await self._respond(scope, received, receive, exchange)
        except ClientDisconnect:
            status, body = 400, b""
        self._audit(scope, exchange, status)
        seconds = time.perf_counter() - started
        _METRICS.operation(exchange.operation).observe(status, seconds)
        self._log_access(scope, exchange, status, seconds)
        response_headers = [
            (b"content-type", b"application/json;charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})

    async def _respond(
        self,
        scope: Scope,
        received: list[tuple[str, str]],
        receive: Receive,
        exchange: _Exchange,
    ) -> tuple[int, bytes]:
        action: Action | None = None
        try:
            headers = dict(reversed(received))  # the first of repeated headers wins
            raw = await read_body(scope["method"], headers, receive, MAX_BODY)
            query = scope.get("query_string", b"").decode("latin-1")
            path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
            signed = signed_request(scope["method"], path.split("?")[0], query, received, raw)
            exchange.access_key_id = signed.access_key_id
            action = ACTIONS.get(signed.action or "")
            exchange.operation = action.name if action else "InvalidAction"
            args = (signed, action, exchange)
            if action is not None and action.inline:
                try:
                    with forbid_blocking():
                        answer = self._run(*args)
                except WouldBlock:
                    answer = await run_in_threadpool(self._run, *args)
            else:
                answer = await run_in_threadpool(self._run, *args)
            if isinstance(answer, Pending):
                answer = await answer.result()
            return 200, orjson.dumps({"RequestId": exchange.request_id, **answer})
        except ClientDisconnect:
            raise
        except Exception as error:  # every error is answered in Alibaba's shape
            return self._error(scope, exchange, action, error)

    def _run(
        self, signed: SignedRequest, action: Action | None, exchange: _Exchange
    ) -> dict[str, Any] | Pending[dict[str, Any]]:
        """Authenticate, refuse a reused nonce, and run the action (in a worker thread, or
        inline: then WouldBlock leaves nothing behind, so the thread can run it again)."""
        deps = self.deps
        signed.check_timestamp(deps.wall_clock.now())
        secret = access_secret_for(deps, signed.access_key_id)
        if secret is None:
            exchange.note.reason = "unknown-access-key"
            raise AlibabaError(
                404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
            )
        signed.verify(secret.secret)
        exchange.note.principal = secret.principal
        if action is None:
            raise AlibabaError(
                404, "InvalidAction.NotFound", f"The action {signed.action!r} is not supported."
            )
        if signed.version != VERSION:
            raise AlibabaError(400, "InvalidVersion", f"Version must be {VERSION}.")
        nonce = (signed.access_key_id, signed.nonce)
        self._remember(signed, action)
        try:
            call = Call(
                secret.principal, exchange.request_id, exchange.note, source_ip=exchange.source_ip
            )
            return action.handler(deps, call, Params(signed.params))
        except WouldBlock:
            self.nonces.forget(*nonce)  # the worker thread runs the whole request again
            raise

    def _remember(self, signed: SignedRequest, action: Action) -> None:
        """A nonce is accepted once: in the shared database for actions that change state,
        in this process's memory for the others."""
        until = signed.timestamp + _NONCE_KEPT
        if action.changes_state:
            name = digest_of(b"alibaba-nonce", signed.access_key_id.encode(), signed.nonce.encode())
            first = remember_once(self.deps, name, until)
        else:
            first = self.nonces.first(signed.access_key_id, signed.nonce, until)
        if not first:
            raise AlibabaError(
                400, "SignatureNonceUsed", "The request signature nonce has been used."
            )

    def _error(
        self, scope: Scope, exchange: _Exchange, action: Action | None, error: Exception
    ) -> tuple[int, bytes]:
        if isinstance(error, SignatureError):
            exchange.note.reason = error.reason
            status, code, message = error.status, error.code, error.message
        elif isinstance(error, AlibabaError):
            status, code, message = error.status, error.code, error.message
        elif isinstance(error, StrongroomError):
            if isinstance(error, StorageIntegrityError):
                log.error(
                    "stored value failed its integrity check: table %s, row %s (request %s)",
                    error.table,
                    error.row,
                    exchange.request_id,
                )
            not_found = action.not_found if action else None
            answer = answer_for(error, not_found, action.state_error if action else None)
            status, code, message = answer.status, answer.code, answer.message
        else:
            log.exception("unhandled error in %s (request %s)", scope["path"], exchange.request_id)
            status, code, message = 500, "InternalFailure", "The request failed."
        body = {"Code": code, "Message": message, "RequestId": exchange.request_id}
        return status, orjson.dumps(body)

    def _audit(self, scope: Scope, exchange: _Exchange, status: int) -> None:
        if self.deps.audit is None:
            return
        client = scope.get("client")
        record_request(
            self.deps,
            exchange.note,
            exchange.operation,
            status,
            exchange.request_id,
            client[0] if client else None,
            exchange.access_key_id if exchange.note.principal is None else None,
        )

    def _log_access(self, scope: Scope, exchange: _Exchange, status: int, seconds: float) -> None:
        """The request's access line (never a parameter: plaintexts travel in the query)."""
        if not access_log.isEnabledFor(logging.INFO):
            return
        ms = seconds * 1000
        principal = exchange.note.principal
        who = principal.user_id if principal is not None else "-"
        fields: dict[str, object] = {
            "method": scope["method"],
            "path": scope["path"],
            "operation": exchange.operation,
            "status": status,
            "duration_ms": round(ms, 3),
            "principal": who,
            "request_id": exchange.request_id,
        }
        if exchange.note.reason is not None:
            fields["reason"] = exchange.note.reason
        access_log.info(
            "%s %s %s %d %.1fms principal=%s request=%s",
            scope["method"],
            scope["path"],
            exchange.operation,
            status,
            ms,
            who,
            exchange.request_id,
            extra={"fields": fields},
        )
