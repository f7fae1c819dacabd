"""Serving a request a member region forwarded: through this process's own API application,
in-process, exactly as if the caller had sent it here."""

from __future__ import annotations

import base64
from typing import Any

from starlette.types import ASGIApp, Message

from strongroom.domain.errors import InvalidParameter

__all__ = ["IDENTITY_WRITES", "SECRET_WRITES", "serve_forwarded"]

_FORWARDABLE = ("POST", "PUT", "DELETE")
IDENTITY_WRITES = "/20160918/"
SECRET_WRITES = "/20180608/secrets/"  # noqa: S105 (a path, not a password)
_HOP_BY_HOP = frozenset({"connection", "transfer-encoding", "keep-alive", "upgrade", "te"})


async def serve_forwarded(
    app: ASGIApp,
    payload: dict[str, Any],
    client: tuple[str, int] | None,
    scope_extra: dict[str, Any] | None = None,
    prefix: str = IDENTITY_WRITES,
) -> tuple[int, dict[str, str], bytes]:
    """Run the forwarded write in ``payload`` (a path under ``prefix``) through ``app``, with
    ``scope_extra`` in its scope; its status, headers and body."""
    method, target, headers, body = _parse(payload, prefix)
    path, _, query = target.partition("?")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "client": client,
        "server": None,
        **(scope_extra or {}),
    }
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status = 500
    out_headers: dict[str, str] = {}
    chunks: list[bytes] = []

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            for name, value in message.get("headers", []):
                out_headers[name.decode("latin-1")] = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, out_headers, b"".join(chunks)


def _parse(payload: dict[str, Any], prefix: str) -> tuple[str, str, dict[str, str], bytes]:
    try:
        method = str(payload["method"]).upper()
        target = str(payload["target"])
        headers = {str(k).lower(): str(v) for k, v in dict(payload["headers"]).items()}
        body = base64.b64decode(str(payload["body"]), validate=True)
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidParameter(f"The forwarded request is malformed: {error}") from None
    if method not in _FORWARDABLE or not target.startswith(prefix):
        raise InvalidParameter(f"Only writes under {prefix} are forwarded here")
    headers = {k: v for k, v in headers.items() if k not in _HOP_BY_HOP}
    headers["content-length"] = str(len(body))
    return method, target, headers, body
