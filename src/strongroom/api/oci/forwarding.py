"""Identity writes sent to a member region: forwarded to the home region (see
services.replication.forwarding); in the home region the operation runs here."""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from strongroom.api.oci.errors import message_for, status_and_code
from strongroom.domain.errors import InvalidParameter, StrongroomError
from strongroom.services.ports import Deps
from strongroom.services.replication.forwarding import ForwardedRequest, forward_to_home

__all__ = ["HomeRegionOnly"]

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
