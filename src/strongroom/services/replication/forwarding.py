"""Identity writes made in a member region: forwarded to the home region, which owns identity.

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
from strongroom.services.ports import Deps
from strongroom.services.realm_port import PeerRefused, PeerUnreachable
from strongroom.services.replication.credentials import signing_key
from strongroom.services.replication.pulling import pull_until

__all__ = ["ForwardedReply", "ForwardedRequest", "forward_to_home"]

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
