"""Routes of the realm dialect. Every call but join is signed by a linked region (see
services.replication.credentials); a refused call is answered 401 and audited."""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from strongroom.api.oci.errors import message_for, status_and_code
from strongroom.api.oci.forwarding import FORWARDED_PRINCIPAL
from strongroom.api.oci.signature import signed_request
from strongroom.api.realm.forward import SECRET_WRITES, serve_forwarded
from strongroom.domain.errors import InvalidParameter, StrongroomError
from strongroom.domain.identity import Principal
from strongroom.services.audit.requests import record_request
from strongroom.services.context import AuditNote
from strongroom.services.identity.principals import user_principal
from strongroom.services.identity.replays import refuse_replayed
from strongroom.services.ports import Deps
from strongroom.services.replication import regions
from strongroom.services.replication.applier import apply_entries
from strongroom.services.replication.credentials import RegionRefused, authenticate_region
from strongroom.services.replication.invites import accept_join
from strongroom.services.replication.pulling import entries_for
from strongroom.services.replication.remote_work_requests import work_request_state
from strongroom.services.replication.streams import IDENTITY
from strongroom.services.secrets.replica_apply import apply_secret_entries
from strongroom.services.secrets.replica_targets import check_target_here
from strongroom.storage.realm_repository import RegionRecord
from strongroom.storage.secret_outbox import SECRETS_STREAM

__all__ = ["realm_routes"]

PREFIX = "/_strongroom/realm/v1"
MAX_BODY = 64 * 1024 * 1024
log = logging.getLogger("strongroom.replication")

Handler = Callable[[Deps, Request, RegionRecord, dict[str, Any]], Awaitable[dict[str, Any]]]


def realm_routes(deps: Deps) -> list[BaseRoute]:
    """The realm endpoints, bound to ``deps``."""
    signed: dict[str, Handler] = {
        "apply": _apply,
        "pull": _pull,
        "forward": _forward,
        "credentials": _credentials,
        "unlinked": _unlinked,
        "ping": _ping,
        "secrets/check": _check_secret_target,
        "secrets/forward": _forward_secret_write,
        "workrequests/get": _work_request_state,
    }
    routes: list[BaseRoute] = [Route(PREFIX + "/join", _join_endpoint(deps), methods=["POST"])]
    routes += [
        Route(f"{PREFIX}/{name}", _signed_endpoint(deps, name, handler), methods=["POST"])
        for name, handler in signed.items()
    ]
    return routes


def _signed_endpoint(deps: Deps, name: str, handler: Handler) -> Callable[[Request], Any]:
    operation = "Realm" + "".join(part.capitalize() for part in name.split("/"))

    async def endpoint(request: Request) -> Response:
        request_id = uuid.uuid4().hex.upper()
        note = AuditNote()
        status, body = 500, {"code": "InternalServerError", "message": "Internal error"}
        try:
            raw = await _body(request)
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            headers = {k.lower(): v for k, v in request.headers.items()}
            signed = signed_request("POST", target, headers, raw)
            caller = await anyio.to_thread.run_sync(authenticate_region, deps, signed)
            if name in _ONCE:
                await anyio.to_thread.run_sync(refuse_replayed, deps, signed)
            if deps.shipper is not None:
                deps.shipper.nudge(caller.name)  # it is up: ship to it now
            status, body = 200, await handler(deps, request, caller, _json(raw))
        except RegionRefused as error:
            note.reason = error.reason
            status, body = _error(error)
            log.warning("Refused a realm call %s: %s (%s)", name, error.reason, error.region)
        except StrongroomError as error:
            note.reason = getattr(error, "reason", None)
            status, body = _error(error)
        except Exception:
            log.exception("Realm call %s failed (request %s)", name, request_id)
        _audit(deps, request, note, operation, status, request_id)
        return _response(status, body, request_id)

    return endpoint


def _join_endpoint(deps: Deps) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        request_id = uuid.uuid4().hex.upper()
        note = AuditNote()
        try:
            data = _json(await _body(request))
            token, region, url, key = (
                _text(data, k) for k in ("token", "region", "url", "publicKey")
            )
            joined = await anyio.to_thread.run_sync(accept_join, deps, token, region, url, key)
            status = 200
            body: dict[str, Any] = {
                "home": joined.home,
                "seq": joined.seq,
                "snapshot": joined.snapshot,
                "admin": joined.admin,
            }
        except StrongroomError as error:
            note.reason = "join-refused"
            status, body = _error(error)
        except Exception:
            log.exception("Realm join failed (request %s)", request_id)
            status, body = 500, {"code": "InternalServerError", "message": "Internal error"}
        _audit(deps, request, note, "RealmJoin", status, request_id)
        return _response(status, body, request_id)

    return endpoint


async def _apply(
    deps: Deps, _request: Request, caller: RegionRecord, data: dict[str, Any]
) -> dict[str, Any]:
    if _text(data, "source") != caller.name:
        raise RegionRefused("A region ships only its own streams", "wrong-source", caller.name)
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise InvalidParameter("entries must be a list")
    stream = _text(data, "stream")
    if stream == SECRETS_STREAM:
        done, results = await anyio.to_thread.run_sync(
            apply_secret_entries, deps, caller.name, entries
        )
        return {"appliedSeq": done, "results": results}
    done = await anyio.to_thread.run_sync(apply_entries, deps, caller.name, stream, entries)
    return {"appliedSeq": done}


async def _pull(
    deps: Deps, _request: Request, caller: RegionRecord, data: dict[str, Any]
) -> dict[str, Any]:
    after = data.get("after")
    if not isinstance(after, int) or after < 0:
        raise InvalidParameter("after must be a sequence number")
    stream = _text(data, "stream")
    entries = await anyio.to_thread.run_sync(entries_for, deps, caller.name, stream, after)
    return {"entries": entries}


async def _forward(
    deps: Deps, request: Request, caller: RegionRecord, data: dict[str, Any]
) -> dict[str, Any]:
    if not deps.realm.is_home:
        raise InvalidParameter("Identity writes are forwarded to the home region only")
    client = (request.client.host, request.client.port) if request.client else None
    status, headers, body = await serve_forwarded(request.app, data, client)
    seq = await anyio.to_thread.run_sync(_last_seq, deps)
    encoded = base64.b64encode(body).decode("ascii")
    return {"status": status, "headers": headers, "body": encoded, "seq": seq}


async def _credentials(
    deps: Deps, _request: Request, caller: RegionRecord, data: dict[str, Any]
) -> dict[str, Any]:
    keys = data.get("publicKeys")
    if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
        raise InvalidParameter("publicKeys must be a list of {fingerprint, pem}")
    seq = await anyio.to_thread.run_sync(regions.save_public_keys, deps, caller.name, keys)
    return {"seq": seq}


async def _unlinked(
    deps: Deps, _request: Request, caller: RegionRecord, _data: dict[str, Any]
) -> dict[str, Any]:
    if caller.name != deps.realm.home:
        raise RegionRefused("Only the home region unlinks regions", "not-home", caller.name)
    await anyio.to_thread.run_sync(regions.mark_unlinked, deps)
    return {"region": deps.region, "state": "UNLINKED"}


async def _ping(
    deps: Deps, _request: Request, _caller: RegionRecord, _data: dict[str, Any]
) -> dict[str, Any]:
    return {"region": deps.region}


async def _check_secret_target(
    deps: Deps, _request: Request, _caller: RegionRecord, data: dict[str, Any]
) -> dict[str, Any]:
    args = [_text(data, k) for k in ("tenancyId", "userId", "vaultId", "keyId")]
    await anyio.to_thread.run_sync(lambda: check_target_here(deps, *args))
    return {"usable": True}


async def _forward_secret_write(
    deps: Deps, request: Request, caller: RegionRecord, data: dict[str, Any]
) -> dict[str, Any]:
    stated = data.get("principal")
    if not isinstance(stated, dict):
        raise InvalidParameter("principal is required")
    tenancy_id, user_id = _text(stated, "tenancyId"), _text(stated, "userId")
    principal = await anyio.to_thread.run_sync(_user_principal, deps, tenancy_id, user_id)
    client = (request.client.host, request.client.port) if request.client else None
    scope_extra = {FORWARDED_PRINCIPAL: (principal, caller.name)}
    status, headers, body = await serve_forwarded(
        request.app, data, client, scope_extra, SECRET_WRITES
    )
    encoded = base64.b64encode(body).decode("ascii")
    return {"status": status, "headers": headers, "body": encoded}


async def _work_request_state(
    deps: Deps, _request: Request, _caller: RegionRecord, data: dict[str, Any]
) -> dict[str, Any]:
    work_id = _text(data, "id")
    return await anyio.to_thread.run_sync(work_request_state, deps, work_id)


def _user_principal(deps: Deps, tenancy_id: str, user_id: str) -> Principal:
    with deps.db.transaction(read_only=True) as tx:
        principal = user_principal(tx, tenancy_id, user_id)
    if principal is None:
        raise RegionRefused(
            "The forwarded write's caller is not an active user here", "unknown-user"
        )
    return principal


# Calls whose signature is accepted once (a replay is refused): they change state.
_ONCE = frozenset({"secrets/forward", "forward"})


def _last_seq(deps: Deps) -> int:
    with deps.db.transaction(read_only=True) as tx:
        return tx.realm.last_seq(IDENTITY)


async def _body(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise InvalidParameter("The request body is too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise InvalidParameter("The request body is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidParameter("The request body is not a JSON object")
    return data


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidParameter(f"{name} is required")
    return value


def _error(error: StrongroomError) -> tuple[int, dict[str, Any]]:
    status, code = status_and_code(error)
    return status, {"code": code, "message": message_for(error)}


def _response(status: int, body: dict[str, Any], request_id: str) -> Response:
    headers = {"opc-request-id": request_id}
    content = orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    return Response(content, status, headers, media_type="application/json")


def _audit(
    deps: Deps, request: Request, note: AuditNote, operation: str, status: int, request_id: str
) -> None:
    client = request.client.host if request.client else None
    record_request(deps, note, operation, status, request_id, client, None, _tenancy(deps))


def _tenancy(deps: Deps) -> str | None:
    return deps.realm.tenancy or None
