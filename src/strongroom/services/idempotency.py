"""``opc-retry-token``: a retried create or action returns the first response, not a second act."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from strongroom.domain.errors import Conflict, InvalidParameter
from strongroom.services.context import Call
from strongroom.services.ports import Deps
from strongroom.storage.idempotency_repository import StoredResponse

__all__ = ["MAX_TOKEN", "RETENTION", "check_token", "remember", "replay", "request_fingerprint"]

RETENTION = timedelta(hours=24)
MAX_TOKEN = 64


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests 'the same' for a retry token."""
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def check_token(token: str) -> None:
    """Retry tokens are at most 64 printable characters."""
    if not token or len(token) > MAX_TOKEN or not token.isprintable():
        raise InvalidParameter(f"opc-retry-token must be 1 to {MAX_TOKEN} printable characters")


def replay(
    deps: Deps, call: Call, token: str, fingerprint: str
) -> tuple[int, bytes, dict[str, str]] | None:
    """The stored response for this token, None if there is none; Conflict if reused differently."""
    check_token(token)
    principal = call.principal.key
    with deps.db.transaction(read_only=True) as tx:
        stored = tx.idempotency.get(principal, token, deps.clock.now() - RETENTION)
    if stored is None:
        return None
    if stored.request_hash != fingerprint:
        raise Conflict("opc-retry-token was already used for a different request")
    body = deps.barrier.open(stored.body, _identity(principal, token))
    return stored.status, body, stored.headers


def remember(
    deps: Deps,
    call: Call,
    token: str,
    fingerprint: str,
    status: int,
    body: bytes,
    headers: dict[str, str],
) -> None:
    """Record a successful response under the token (sealed like everything else at rest)."""
    principal = call.principal.key
    sealed = deps.barrier.seal(body, _identity(principal, token))
    record = StoredResponse(fingerprint, status, sealed, headers)
    with deps.db.transaction() as tx:
        tx.idempotency.put(principal, token, record, deps.clock.now())


def _identity(principal: str, token: str) -> str:
    return "idempotency/" + json.dumps([principal, token])
