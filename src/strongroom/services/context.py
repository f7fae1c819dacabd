"""The per-call context handed from a transport to a use case."""

from __future__ import annotations

from dataclasses import dataclass, field

from strongroom.domain.identity import Principal

__all__ = ["AuditNote", "Call"]


@dataclass
class AuditNote:
    """What authorization learned about a call, for its audit event (filled as the call runs)."""

    resource_id: str | None = None
    compartment_id: str | None = None
    decision: str = "none"
    principal: Principal | None = None
    reason: str | None = None  # why authentication refused the call (for operators only)


@dataclass(frozen=True)
class Call:
    """Who is calling and how the call is identified in logs and audit."""

    principal: Principal
    request_id: str
    audit: AuditNote = field(default_factory=AuditNote)
    # Work requests the call started (their ids), answered in opc-work-request-id.
    started: list[str] = field(default_factory=list)
    # The region a write was forwarded from, when it was (its replica's region).
    forwarded_from: str | None = None
    # The client's address as the listener saw it (None for calls made inside Strongroom):
    # what key policy conditions on ``acs:SourceIp`` test.
    source_ip: str | None = None
