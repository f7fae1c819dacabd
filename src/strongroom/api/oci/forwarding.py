"""Writes that belong to another region (see services.replication.forwarding): identity
writes sent to a member region go to the home region; a write to a replica whose source
forwards writes goes to the source, whose endpoint runs it as the stated principal."""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from strongroom.api.oci.errors import message_for, status_and_code
from strongroom.domain.errors import InvalidParameter, StrongroomError, WriteElsewhere
from strongroom.domain.identity import Principal
from strongroom.services.ports import Deps
from strongroom.services.replication.forwarding import (
    ForwardedRequest,
    forward_to_home,
    forward_write,
)

__all__ = ["FORWARDED_PRINCIPAL", "HomeRegionOnly", "forward_elsewhere"]

# The ASGI scope key of a forwarded write's principal and region (set in-process only).
FORWARDED_PRINCIPAL = "strongroom.forwarded_principal"
_ANSWER_HEADERS = frozenset({"etag", "opc-next-page", "opc-work-request-id", "location"})


def forward_elsewhere(
    deps: Deps,
    principal: Principal,
    elsewhere: WriteElsewhere,
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
) -> tuple[int, bytes, dict[str, str]]:
    """Have the region that owns the write make it; its answer with the operation's own
    headers (status, body, headers)."""
    request = ForwardedRequest(method, target, headers, body)
    answer = forward_write(deps, principal, elsewhere.region, request, elsewhere.resource)
    kept = {k: v for k, v in answer.headers.items() if k.lower() in _ANSWER_HEADERS}
    return answer.status, answer.body, kept


MAX_BODY = 1024 * 1024
_DROPPED = frozenset({"content-length", "transfer-encoding", "connection"})


class HomeRegionOnly:
    """``inner`` in the home region; elsewhere, the request as the home region answers it."""

    __slots__ = ("deps", "inner")

    def __init__(self, deps: Deps, inner: ASGIApp) -> None:
        self.deps = deps
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.deps.realm.is_home:
            await self.inner(scope, receive, send)
            return
        headers = {n.decode("latin-1"): v.decode("latin-1") for n, v in scope["headers"]}
        request_id = headers.get("opc-request-id", "")
        try:
            body = await _read(receive)
            target = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            request = ForwardedRequest(scope["method"], target, headers, body)
            reply = await run_in_threadpool(forward_to_home, self.deps, request)
            status, out, content = reply.status, reply.headers, reply.body
        except StrongroomError as error:
            status, code = status_and_code(error)
            content = orjson.dumps({"code": code, "message": message_for(error)})
            out = {"content-type": "application/json", "opc-request-id": request_id}
        raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in out.items()]
        raw = [(k, v) for k, v in raw if k.decode() not in _DROPPED]
        raw.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": content})


async def _read(receive: Receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise InvalidParameter("The request body is too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
