"""Writes that belong to another region, forwarded there.

Identity writes made in a member region go to the home region, which owns identity.

The request goes to the home region as it came (method, path, headers, body: the caller's own
signature is checked there); the answer comes back as the home region gave it. Before it is
returned, the member pulls and applies the identity changes up to the one the write made, so
the caller reads its write here at once. With the home region unreachable the write fails
with 503 and nothing changes anywhere.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from strongroom.domain.errors import IncorrectState, ServiceUnavailable, StrongroomError
from strongroom.domain.identity import Principal
from strongroom.services.ports import Deps
from strongroom.services.realm_port import PeerRefused, PeerUnreachable
from strongroom.services.replication.credentials import signing_key
from strongroom.services.replication.pulling import pull_until
from strongroom.services.replication.remote_work_requests import mirror_forwarded

__all__ = ["ForwardedReply", "ForwardedRequest", "forward_to_home", "forward_write"]

log = logging.getLogger("strongroom.replication")
FORWARD_TIMEOUT = 30.0


@dataclass(frozen=True)
class ForwardedRequest:
    """An API request as it reached this region (header names lower-case)."""

    method: str
    target: str  # path and query, as sent
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class ForwardedReply:
    """The home region's answer, and the identity stream position its write reached."""

    status: int
    headers: dict[str, str]
    body: bytes
    seq: int


def forward_to_home(deps: Deps, request: ForwardedRequest) -> ForwardedReply:
    """Have the home region serve ``request``; its answer, once visible here."""
    assert deps.peers is not None
    home = _home_url(deps)
    payload = {
        "method": request.method,
        "target": request.target,
        "headers": request.headers,
        "body": base64.b64encode(request.body).decode("ascii"),
    }
    try:
        answer = deps.peers.post(home, "/forward", payload, signing_key(deps), FORWARD_TIMEOUT)
    except PeerUnreachable as error:
        raise ServiceUnavailable(
            f"The home region {deps.realm.home} cannot be reached, and identity changes are "
            f"made there; nothing was changed ({error.message})"
        ) from None
    except PeerRefused as error:
        raise ServiceUnavailable(
            f"The home region {deps.realm.home} refused the forwarded request: {error.message}"
        ) from None
    reply = ForwardedReply(
        int(answer["status"]),
        {str(k): str(v) for k, v in dict(answer["headers"]).items()},
        base64.b64decode(answer["body"]),
        int(answer["seq"]),
    )
    try:
        pull_until(deps, reply.seq)
    except StrongroomError as error:
        log.warning("Could not pull the forwarded write's identity change yet: %s", error)
    return reply


def _home_url(deps: Deps) -> str:
    with deps.db.transaction(read_only=True) as tx:
        record = tx.realm.region(deps.realm.home)
        own = tx.realm.region(deps.region)
    if own is not None and own.state != "ACTIVE":
        raise IncorrectState(
            f"Region {deps.region} was unlinked from its realm: identity is read-only here"
        )
    if record is None:
        raise IncorrectState("The home region is not in this region's registry")
    return record.url


# What of the caller's request travels with a forwarded write (never its Authorization).
_KEPT_HEADERS = frozenset(
    {"content-type", "if-match", "opc-retry-token", "opc-request-id", "accept"}
)


def forward_write(
    deps: Deps,
    principal: Principal,
    region: str,
    request: ForwardedRequest,
    resource: tuple[str, str, str, str],
) -> ForwardedReply:
    """A write to a replica whose source forwards writes: sent to the source ``region`` with
    a statement of who the caller is (this region authenticated the caller and authorized the
    write on the replica; the source authorizes it again), signed by this region. The
    source's answer; with the source unreachable, 503 and nothing changed anywhere."""
    if deps.peers is None:
        raise ServiceUnavailable("This process cannot call other regions")
    if principal.principal_type != "user":
        raise IncorrectState("Only users' writes are forwarded to the source region")
    with deps.db.transaction(read_only=True) as tx:
        record = tx.realm.region(region)
    if record is None or record.state != "ACTIVE":
        raise ServiceUnavailable(f"The source region {region} is not a linked region")
    payload = {
        "principal": {"tenancyId": principal.tenancy_id, "userId": principal.user_id},
        "method": request.method,
        "target": request.target,
        "headers": {k: v for k, v in request.headers.items() if k in _KEPT_HEADERS},
        "body": base64.b64encode(request.body).decode("ascii"),
    }
    try:
        answer = deps.peers.post(
            record.url, "/secrets/forward", payload, signing_key(deps), FORWARD_TIMEOUT
        )
    except PeerUnreachable as error:
        raise ServiceUnavailable(
            f"The source region {region} cannot be reached; the write was not made "
            f"({error.message})"
        ) from None
    except PeerRefused as error:
        raise ServiceUnavailable(
            f"The source region {region} refused the forwarded write: {error.message}"
        ) from None
    reply = ForwardedReply(
        int(answer["status"]),
        {str(k).lower(): str(v) for k, v in dict(answer["headers"]).items()},
        base64.b64decode(answer["body"]),
        0,
    )
    work_id = reply.headers.get("opc-work-request-id")
    if work_id:
        mirror_forwarded(deps, work_id, region, resource)  # answered here, refreshed from there
    return reply
