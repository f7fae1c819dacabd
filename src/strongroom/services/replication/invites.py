"""Linking a region (home side): one-time join tokens, and accepting a join.

A token is ``srjoin1.<invite id>.<secret>``; the home region keeps only the secret's SHA-256,
the region it was issued for, and its expiry. Accepting a join registers the new region with
its public key, records how far the snapshot it receives reaches in the identity stream, and
hands back that snapshot: the new region starts from it and receives every later change.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from strongroom.crypto.request_signing import fingerprint, load_api_public_key
from strongroom.domain.errors import Conflict, InvalidParameter, NotAuthenticated
from strongroom.services.ports import Deps
from strongroom.services.replication.streams import IDENTITY
from strongroom.storage.realm_repository import CursorRecord, InviteRecord, RegionRecord

__all__ = [
    "DEFAULT_INVITE_TTL",
    "JoinRefused",
    "Joined",
    "accept_join",
    "check_region_name",
    "check_url",
    "invite_region",
]

DEFAULT_INVITE_TTL = timedelta(hours=1)
_REGION = re.compile(r"^[a-z]{2,}-[a-z]+-[0-9]{1,3}$")
_TOKEN = re.compile(r"^srjoin1\.([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$")


class JoinRefused(NotAuthenticated):
    """A join whose token is unknown, malformed, used, expired or for another region."""


@dataclass(frozen=True)
class Joined:
    """What a region that joined starts from."""

    home: str
    seq: int
    snapshot: dict[str, list[dict[str, Any]]]
    admin: dict[str, Any] | None


def check_region_name(name: str) -> str:
    """``name`` if it looks like a region identifier (``ap-tokyo-1``)."""
    if not _REGION.match(name):
        raise InvalidParameter(f"{name!r} is not a region identifier such as ap-tokyo-1")
    return name


def check_url(url: str) -> str:
    """``url`` without a trailing slash if it is an http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise InvalidParameter(f"{url!r} is not an http:// or https:// URL of a region")
    return url.rstrip("/")


def invite_region(deps: Deps, region: str, url: str, ttl: timedelta = DEFAULT_INVITE_TTL) -> str:
    """Issue a one-time token for ``region`` (served at ``url``) to join this realm."""
    check_region_name(region)
    url = check_url(url)
    if not deps.realm.is_home:
        raise Conflict(f"Regions are invited by the home region ({deps.realm.home}), not here")
    if ttl <= timedelta(0) or ttl > timedelta(days=7):
        raise InvalidParameter("An invite lasts more than 0 seconds and at most 7 days")
    invite_id, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
    now = deps.clock.now()
    with deps.db.transaction() as tx:
        if region == deps.region:
            raise Conflict(f"{region} is the home region")
        # (Inviting a linked region again lets it join anew: its key is then replaced.)
        record = InviteRecord(invite_id, region, url, _digest(secret), now + ttl, None)
        tx.realm.add_invite(record, now)
    return f"srjoin1.{invite_id}.{secret}"


def accept_join(deps: Deps, token: str, region: str, url: str, public_pem: str) -> Joined:
    """Link ``region`` with the key ``public_pem`` if ``token`` allows it (JoinRefused)."""
    if not deps.realm.is_home:
        raise Conflict(f"Regions join through the home region ({deps.realm.home})")
    match = _TOKEN.match(token)
    if match is None:
        raise JoinRefused("The join token is not valid")
    invite_id, secret = match.groups()
    check_region_name(region)
    url = check_url(url)
    fp = fingerprint(load_api_public_key(public_pem))
    now = deps.clock.now()
    with deps.db.transaction() as tx:
        tx.realm.lock_outbox()  # no identity change commits between the snapshot and its seq
        invite = tx.realm.invite(invite_id, for_update=True)
        if invite is None or not hmac.compare_digest(invite.token_hash, _digest(secret)):
            raise JoinRefused("The join token is not valid")
        if invite.used_at is not None:
            raise JoinRefused("The join token was already used")
        if invite.expires_at <= now:
            raise JoinRefused("The join token has expired")
        if invite.region != region:
            raise JoinRefused(f"The join token was issued for region {invite.region}")
        if region == deps.region:
            raise Conflict(f"{region} is the home region")
        existing = tx.realm.region(region)
        if not tx.realm.use_invite(invite_id, now):
            raise JoinRefused("The join token was already used")
        key = {"fingerprint": fp, "pem": public_pem}
        created = existing.time_created if existing else now
        tx.realm.save_region(RegionRecord(region, url, False, "ACTIVE", [key], created, now))
        seq = tx.realm.last_seq(IDENTITY)
        tx.realm.save_cursor(CursorRecord(region, IDENTITY, seq, now, None, None, 0))
        snapshot = tx.realm.snapshot()
    return Joined(deps.region, seq, snapshot, deps.realm.admin)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
