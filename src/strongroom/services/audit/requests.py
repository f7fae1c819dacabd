"""Turning a finished request into an audit event (never with secret values)."""

from __future__ import annotations

import itertools
import re

from strongroom.services.context import AuditNote
from strongroom.services.ports import Deps

__all__ = ["record_request"]

# Event ids: unique across processes (a random per-process prefix, drawn once from the
# injected source) and cheap per request (a counter, no random bytes per event).
_SEQUENCE = itertools.count()
_prefix: list[str] = []
_KEY_ID = re.compile(r"^(ocid1\.tenancy\.[a-z0-9.-]+)/(ocid1\.user\.[a-z0-9.-]+)/")


def record_request(
    deps: Deps,
    note: AuditNote,
    operation: str,
    status: int,
    request_id: str,
    source: str | None,
    claimed_key_id: str | None,
    claimed_tenancy_id: str | None = None,
) -> None:
    """Queue the audit event of one request.

    An unauthenticated request is attributed to the tenancy and user its signature claimed,
    so failed attempts show up in that tenancy's audit trail, with the reason it was refused
    (``note.reason``; see :class:`~strongroom.services.identity.authn.SignatureRefused`); a
    transport with one tenancy (Element) names it as ``claimed_tenancy_id``.
    """
    if deps.audit is None:
        return
    principal = note.principal
    tenancy_id = principal.tenancy_id if principal else None
    principal_id = principal.user_id if principal else None
    if principal is None and claimed_key_id and (match := _KEY_ID.match(claimed_key_id)):
        tenancy_id, principal_id = match.group(1), match.group(2)
    elif principal is None and claimed_tenancy_id:
        tenancy_id = claimed_tenancy_id
    decision = note.decision
    if principal is None and status == 401:
        decision = "unauthenticated"
    deps.audit.record(
        (  # AuditEvent's fields, in order
            f"{_event_prefix(deps)}{next(_SEQUENCE):016x}",
            deps.wall_clock.now(),
            tenancy_id,
            principal_id,
            principal.principal_type if principal else None,
            operation[:100],
            note.resource_id,
            note.compartment_id,
            decision,
            status,
            request_id[:64],
            source,
            note.reason,
        )
    )


def _event_prefix(deps: Deps) -> str:
    if not _prefix:
        _prefix.append(deps.random_bytes(8).hex())
    return _prefix[0]
